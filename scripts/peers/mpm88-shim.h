// Stands in for the single-header taichi.h that mls-mpm88.cpp includes (a download of its own, not
// in the taichi_mpm repository), so scripts/peers/mpm88.ts can compile the 88 lines as published.
// Only what those lines use: float vectors and 2x2 matrices by value, the `_f` literal, sqr,
// determinant, transposed, polar_decomp and svd (closed form for 2x2, in float like taichi.h's
// default build). Everything is inline so -O3 sees through it, as it does through taichi.h.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace taichi {
using real = float;
constexpr real operator"" _f(long double v) { return real(v); }
constexpr real operator"" _f(unsigned long long v) { return real(v); }

inline real clamp(real v, real lo, real hi) { return std::min(std::max(v, lo), hi); }

struct Vector3;

struct Vector2;
struct Vector2i {
  int x, y;
  Vector2i(int x, int y) : x(x), y(y) {}
  template <typename T> Vector2 cast() const;
};

struct Vector2 {
  real x, y;
  Vector2(real s = 0) : x(s), y(s) {}
  Vector2(real x, real y) : x(x), y(y) {}
  explicit Vector2(const Vector3 &v);
  real &operator[](int i) { return i ? y : x; }
  real operator[](int i) const { return i ? y : x; }
  Vector2 operator+(const Vector2 &o) const { return {x + o.x, y + o.y}; }
  Vector2 operator-(const Vector2 &o) const { return {x - o.x, y - o.y}; }
  Vector2 operator*(const Vector2 &o) const { return {x * o.x, y * o.y}; }
  Vector2 operator*(real s) const { return {x * s, y * s}; }
  Vector2 &operator+=(const Vector2 &o) { x += o.x; y += o.y; return *this; }
  template <typename T> Vector2i cast() const { return Vector2i(int(x), int(y)); }
  static Vector2 rand() { return {real(std::rand()) / real(RAND_MAX), real(std::rand()) / real(RAND_MAX)}; }
};
inline Vector2 operator*(real s, const Vector2 &v) { return v * s; }
inline Vector2 sqr(const Vector2 &v) { return v * v; }

template <typename T> inline Vector2 Vector2i::cast() const { return Vector2(real(x), real(y)); }

struct Vector3 {
  real v[3];
  Vector3(real s = 0) : v{s, s, s} {}
  Vector3(real a, real b, real c) : v{a, b, c} {}
  Vector3(const Vector2 &a, real c) : v{a.x, a.y, c} {}
  real &operator[](int i) { return v[i]; }
  real operator[](int i) const { return v[i]; }
  Vector3 operator+(const Vector3 &o) const { return {v[0] + o.v[0], v[1] + o.v[1], v[2] + o.v[2]}; }
  Vector3 operator*(real s) const { return {v[0] * s, v[1] * s, v[2] * s}; }
  Vector3 &operator+=(const Vector3 &o) { v[0] += o.v[0]; v[1] += o.v[1]; v[2] += o.v[2]; return *this; }
  Vector3 &operator/=(real s) { v[0] /= s; v[1] /= s; v[2] /= s; return *this; }
};
inline Vector3 operator*(real s, const Vector3 &v) { return v * s; }
inline Vector2::Vector2(const Vector3 &v) : x(v[0]), y(v[1]) {}

// Column-major like taichi.h: m[i] is column i, so m[i][j] is row j of column i; only the
// diagonal is indexed by the 88 lines, where the two conventions agree.
struct Matrix2 {
  Vector2 c[2];
  Matrix2(real s = 0) : c{Vector2(s, 0), Vector2(0, s)} {}
  Matrix2(const Vector2 &c0, const Vector2 &c1) : c{c0, c1} {}
  Vector2 &operator[](int i) { return c[i]; }
  const Vector2 &operator[](int i) const { return c[i]; }
  Matrix2 operator+(const Matrix2 &o) const { return {c[0] + o.c[0], c[1] + o.c[1]}; }
  Matrix2 operator-(const Matrix2 &o) const { return {c[0] - o.c[0], c[1] - o.c[1]}; }
  Matrix2 operator*(real s) const { return {c[0] * s, c[1] * s}; }
  Vector2 operator*(const Vector2 &v) const { return c[0] * v.x + c[1] * v.y; }
  Matrix2 operator*(const Matrix2 &o) const { return {(*this) * o.c[0], (*this) * o.c[1]}; }
  Matrix2 &operator+=(const Matrix2 &o) { c[0] += o.c[0]; c[1] += o.c[1]; return *this; }
  static Matrix2 outer_product(const Vector2 &a, const Vector2 &b) { return {a * b.x, a * b.y}; }
};
inline Matrix2 operator*(real s, const Matrix2 &m) { return m * s; }
inline Matrix2 transposed(const Matrix2 &m) { return {Vector2(m.c[0].x, m.c[1].x), Vector2(m.c[0].y, m.c[1].y)}; }
inline real determinant(const Matrix2 &m) { return m.c[0].x * m.c[1].y - m.c[1].x * m.c[0].y; }

// F = R S with R a rotation: R's angle is atan2(F10 - F01, F00 + F11).
inline void polar_decomp(const Matrix2 &m, Matrix2 &r, Matrix2 &s) {
  real a = m.c[0].x + m.c[1].y, b = m.c[0].y - m.c[1].x;
  real h = std::sqrt(a * a + b * b);
  real co = h > 0 ? a / h : 1, si = h > 0 ? b / h : 0;
  r = Matrix2(Vector2(co, si), Vector2(-si, co));
  s = transposed(r) * m;
}

// F = U diag(sig) V^T: the polar decomposition, then the symmetric S's eigenvectors by one Jacobi
// rotation (exact for 2x2), U = R V.
inline void svd(const Matrix2 &m, Matrix2 &u, Matrix2 &sig, Matrix2 &v) {
  Matrix2 r, s;
  polar_decomp(m, r, s);
  real s00 = s.c[0].x, s11 = s.c[1].y, s01 = s.c[1].x;
  real co = 1, si = 0, d0 = s00, d1 = s11;
  if (std::abs(s01) > 1e-12f) {
    real tau = 0.5f * (s11 - s00) / s01;
    real t = (tau >= 0 ? 1 : -1) / (std::abs(tau) + std::sqrt(1 + tau * tau));
    co = 1 / std::sqrt(1 + t * t);
    si = t * co;
    d0 = s00 - t * s01;
    d1 = s11 + t * s01;
  }
  v = Matrix2(Vector2(co, -si), Vector2(si, co));
  sig = Matrix2(Vector2(d0, 0), Vector2(0, d1));
  u = r * v;
}
}  // namespace taichi

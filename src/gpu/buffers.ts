// Buffer creation, upload and read-back. Read-back goes through a throw-away staging buffer: it is
// for tests, checks and what a user asked to see, never for the simulation hot path.

// WebGPU's GPUBufferUsage values, spelled out so this module can be imported in Node before Dawn
// has installed its globals.
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

export const DEFAULT_USAGE = STORAGE | COPY_SRC | COPY_DST;

/** Buffer data as accepted by writeBuffer and createBuffer's `init`. */
export type BufferData = ArrayBufferView | ArrayBuffer;

function bytesOf(data: BufferData): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Creates a labelled buffer of at least byteSize bytes: rounded up to a multiple of 4 (copies and
 * writes work in 4-byte units) and to at least 16 (the smallest uniform binding size).
 */
export function createBuffer(
  device: GPUDevice,
  label: string,
  byteSize: number,
  usage: GPUBufferUsageFlags = DEFAULT_USAGE,
  init?: BufferData,
): GPUBuffer {
  if (!Number.isFinite(byteSize) || byteSize < 0) throw new RangeError(`createBuffer '${label}': byteSize must be >= 0, got ${byteSize}`);
  const size = Math.max(16, Math.ceil(byteSize / 4) * 4);
  if (init && init.byteLength > size) {
    throw new RangeError(`createBuffer '${label}': init has ${init.byteLength} bytes, more than the buffer's ${size}`);
  }
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: !!init });
  if (init) {
    new Uint8Array(buffer.getMappedRange()).set(bytesOf(init));
    buffer.unmap();
  }
  return buffer;
}

/** queue.writeBuffer with the 4-byte rules checked up front, so a bad call names the buffer. */
export function writeBuffer(device: GPUDevice, buf: GPUBuffer, data: BufferData, byteOffset = 0): void {
  const bytes = bytesOf(data);
  if (byteOffset % 4 || bytes.byteLength % 4) {
    throw new RangeError(`writeBuffer '${buf.label}': offset ${byteOffset} and size ${bytes.byteLength} must be multiples of 4`);
  }
  if (byteOffset + bytes.byteLength > buf.size) {
    throw new RangeError(`writeBuffer '${buf.label}': ${bytes.byteLength} bytes at ${byteOffset} overrun its ${buf.size} bytes`);
  }
  // The cast only narrows the TS type; a SharedArrayBuffer view is copied like any other.
  device.queue.writeBuffer(buf, byteOffset, bytes as Uint8Array<ArrayBuffer>);
}

/** Copies [byteOffset, byteOffset + byteSize) of buf to the CPU; buf needs COPY_SRC usage. */
export async function readBuffer(device: GPUDevice, buf: GPUBuffer, byteOffset = 0, byteSize = buf.size - byteOffset): Promise<ArrayBuffer> {
  if (byteOffset % 4 || byteSize % 4 || byteOffset < 0 || byteSize < 0 || byteOffset + byteSize > buf.size) {
    throw new RangeError(`readBuffer '${buf.label}': range [${byteOffset}, +${byteSize}) must be 4-byte aligned and within its ${buf.size} bytes`);
  }
  if (byteSize === 0) return new ArrayBuffer(0);
  const staging = device.createBuffer({ label: `${buf.label}.staging`, size: byteSize, usage: MAP_READ | COPY_DST });
  try {
    const enc = device.createCommandEncoder({ label: `${buf.label}.readback` });
    enc.copyBufferToBuffer(buf, byteOffset, staging, 0, byteSize);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(MAP_READ);
    // slice() copies: the mapped range is detached on unmap.
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}

// Typed read-backs take element offsets and counts (4-byte elements), not bytes.
export async function readF32(device: GPUDevice, buf: GPUBuffer, elemOffset = 0, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buf, elemOffset * 4, count === undefined ? undefined : count * 4));
}

export async function readI32(device: GPUDevice, buf: GPUBuffer, elemOffset = 0, count?: number): Promise<Int32Array> {
  return new Int32Array(await readBuffer(device, buf, elemOffset * 4, count === undefined ? undefined : count * 4));
}

export async function readU32(device: GPUDevice, buf: GPUBuffer, elemOffset = 0, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buf, elemOffset * 4, count === undefined ? undefined : count * 4));
}

/** Records a zero fill of [offset, offset + size) bytes (default: to the end). */
export function clearBuffer(encoder: GPUCommandEncoder, buf: GPUBuffer, offset = 0, size?: number): void {
  encoder.clearBuffer(buf, offset, size);
}

// Imported first by scripts that touch Dawn: V8's top tier off, as bin/torsion.mjs does (Dawn
// crashes Node 20 at random with it on). Static imports are evaluated in order, so this runs
// before the modules that load Dawn.
import v8 from 'node:v8';

v8.setFlagsFromString('--max-opt=2');

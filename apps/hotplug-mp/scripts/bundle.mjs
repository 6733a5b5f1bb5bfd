#!/usr/bin/env node
// Build step of the published app (issue 11, start-up): bundles dist/main.js
// and the eal-ts libraries it imports into one ESM file, dist/hotplug-mp.mjs,
// which bin/hotplug-mp.js runs. One file instead of about 65 saves the module
// resolution, reading and compiling that dominate a primary's start-up, and
// ~6 MiB of peak RSS.
//
// @eal-ts/sys stays external: it finds its native addon (prebuilt or built
// by node-gyp) relative to its own package, so it is loaded from
// node_modules as before and is a runtime dependency of the app.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(appDir, 'package.json'));

// A library that reads its own package.json at run time (`new URL('../package.json',
// import.meta.url)`, e.g. @eal-ts/eal's version for -v) would read the app's once
// bundled: give it its own manifest's name and version, inlined at build time.
const OWN_MANIFEST = "readFileSync(new URL('../package.json', import.meta.url), 'utf8')";
const inlineOwnManifest = {
  name: 'inline-own-manifest',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(OWN_MANIFEST)) return undefined;
      const manifest = JSON.parse(readFileSync(join(dirname(args.path), '..', 'package.json'), 'utf8'));
      const inlined = JSON.stringify(JSON.stringify({ name: manifest.name, version: manifest.version }));
      return { contents: text.split(OWN_MANIFEST).join(inlined), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: [join(appDir, 'dist', 'main.js')],
  outfile: join(appDir, 'dist', 'hotplug-mp.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: `node${JSON.parse(readFileSync(require.resolve('./package.json'), 'utf8')).engines.node.replace(/^>=\s*/, '')}`,
  external: ['@eal-ts/sys'],
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  plugins: [inlineOwnManifest],
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
const outputs = Object.values(result.metafile.outputs);
process.stdout.write(`bundled ${inputs.length} files into dist/hotplug-mp.mjs (${(outputs[0].bytes / 1024).toFixed(0)} KiB)\n`);

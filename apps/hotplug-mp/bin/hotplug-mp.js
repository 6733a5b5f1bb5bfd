#!/usr/bin/env node
// The bundle of dist/main.js and the eal-ts libraries (scripts/bundle.mjs, run by `build`):
// one module to load instead of about 65. @eal-ts/sys, with its native addon, stays a package.
import '../dist/hotplug-mp.mjs';

#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `pnpm run build`.
import '../dist/eal-devbind.js';

import '../dist/instr.mjs';

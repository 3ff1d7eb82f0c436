#!/usr/bin/env node
// The `fencun` command (npx fencun --help). Runs the TypeScript sources through tsx.
require('tsx/cjs');
require('../src/cli/main.ts');

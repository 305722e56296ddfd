#!/usr/bin/env node
// `npm run smoke`: end-to-end check of a deployed stack (lib/operator/smoke-cli.ts).
import { processIo, quietAwsSdk } from '../lib/operator/cli';
import { smokeMain } from '../lib/operator/smoke-cli';

quietAwsSdk();
void smokeMain(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
});

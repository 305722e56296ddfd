/** A program the tests need but npm does not install is reported in one line with the command that installs it. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, requireProgram } from '../support/prerequisites';

describe('requireProgram', () => {
  it('names a missing program by path and says how to install it, in one line', () => {
    expect(() => requireProgram('/nonexistent/chromium', 'Chromium (the browser tests need it)', 'sudo apt-get install -y chromium')).toThrow(
      /^Chromium \(the browser tests need it\) is not installed \(no \/nonexistent\/chromium\); install it with: sudo apt-get install -y chromium$/,
    );
  });

  it('looks a bare name up in PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perftool-path-'));
    try {
      writeFileSync(join(dir, 'nats-server-probe'), '#!/bin/sh\n');
      chmodSync(join(dir, 'nats-server-probe'), 0o755);
      expect(findProgram('nats-server-probe', `/nonexistent:${dir}`)).toBe(join(dir, 'nats-server-probe'));
      expect(findProgram('nats-server-probe', '/nonexistent')).toBeNull();
      expect(() => requireProgram('no-such-program-here', 'nats-server', 'sudo apt-get install -y nats-server')).toThrow(
        'nats-server is not installed (no no-such-program-here in PATH); install it with: sudo apt-get install -y nats-server',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns where an installed program is', () => {
    expect(requireProgram(process.execPath, 'node', 'n/a')).toBe(process.execPath);
  });
});

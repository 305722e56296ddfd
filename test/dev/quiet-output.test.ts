/** `npm test` prints nothing a user could take for a problem with this project. */
import { KafkaClient } from '@aws-sdk/client-kafka';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('test output', () => {
  it("has no AWS SDK notice about Node versions when a test creates an SDK client", () => {
    const warnings: string[] = [];
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
      warnings.push(String(warning));
    });
    try {
      const client = new KafkaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      client.destroy();
    } finally {
      emitWarning.mockRestore();
    }
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
  });
});

describe('npm ci output', () => {
  /** Every installed package that has an install script (npm runs a package's binding.gyp as one too). */
  function packagesWithInstallScripts(dir: string, found = new Set<string>()): Set<string> {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const pkgDir = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        packagesWithInstallScripts(pkgDir, found);
        continue;
      }
      const manifestPath = join(pkgDir, 'package.json');
      if (existsSync(manifestPath)) {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string; scripts?: Record<string, string> };
        const scripts = manifest.scripts ?? {};
        if (manifest.name && (scripts.preinstall || scripts.install || scripts.postinstall || existsSync(join(pkgDir, 'binding.gyp')))) found.add(manifest.name);
      }
      if (existsSync(join(pkgDir, 'node_modules'))) packagesWithInstallScripts(join(pkgDir, 'node_modules'), found);
    }
    return found;
  }

  it('has no install-script warning: package.json allows or denies every install script explicitly', () => {
    const root = join(__dirname, '..', '..');
    const { allowScripts = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const unreviewed = [...packagesWithInstallScripts(join(root, 'node_modules'))].filter((name) => !(name in allowScripts));
    expect(unreviewed).toEqual([]);
  });
});

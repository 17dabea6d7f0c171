import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './helpers';

describe('lettermerge as a library', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('exports generate, validate, preview, send and init, typed, from the package', () => {
    // A project that depends on lettermerge: node_modules/lettermerge is this package.
    mkdirSync(path.join(t.dir, 'node_modules'));
    symlinkSync(ROOT, path.join(t.dir, 'node_modules', 'lettermerge'), 'dir');
    writeFileSync(
      path.join(t.dir, 'use.ts'),
      [
        "import { generate, validate, preview, send, init, LetterMergeError, EXIT } from 'lettermerge';",
        "import type { GenerateResult, ValidateResult, PreviewResult, SendResult, InitResult, Problem } from 'lettermerge';",
        'export async function all(): Promise<[GenerateResult, ValidateResult, PreviewResult, SendResult, InitResult]> {',
        "  const g = await generate({ csv: 'people.csv', out: 'letters', languages: ['es'], jobs: 1, onProgress: (e) => void e.done });",
        "  const v = await validate({ csv: 'people.csv' });",
        "  const p = await preview({ csv: 'people.csv', row: 1, textOnly: true });",
        "  const s = await send({ out: 'letters', smtp: 'smtp://127.0.0.1:2525', confirm: false });",
        "  const i = init({ dir: 'new-campaign' });",
        '  const problems: Problem[] = [...g.failures, ...v.problems];',
        '  void problems; void LetterMergeError; void EXIT.partial;',
        '  return [g, v, p, s, i];',
        '}',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--esModuleInterop', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), 'use.ts'], { cwd: t.dir });
    const names = execFileSync(process.execPath, ['-e', "const m = require('lettermerge'); console.log(['generate','validate','preview','send','init'].map((n) => typeof m[n]).join(','))"], { cwd: t.dir }).toString().trim();
    expect(names).toBe('function,function,function,function,function');
  });
});

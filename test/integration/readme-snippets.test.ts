/**
 * Every TypeScript block of the README compiles on its own, as a user pastes it into a project of
 * theirs that depends on the built package: one compiler run over all the blocks (each a module
 * of its own), errors named by the block's line in the README. Blocks marked ```ts runnable are
 * whole programs: they also run, each in a process of its own that must end by itself (exit 0)
 * within the time limit, against the embedded simulator (no API key in their environment).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUN_LIMIT_MS = 30_000;

interface Block {
  /** Line of the opening fence in README.md (1-based). */
  line: number;
  runnable: boolean;
  code: string;
}

/** The README's ```ts blocks (```ts runnable marks whole programs). */
export function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts( runnable)?\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `README.md:${i + 1}: a ts block that never closes`);
    blocks.push({
      line: i + 1,
      runnable: open[1] !== undefined,
      code: lines.slice(i + 1, end).join('\n'),
    });
    i = end;
  }
  return blocks;
}

let project: string;
const blocks = tsBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const fileOf = (block: Block): string => join(project, `readme-${block.line}.ts`);

before(() => {
  project = mkdtempSync(join(tmpdir(), 'polygon-stream-readme-'));
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', 'polygon-stream'), 'dir');
  symlinkSync(
    join(root, 'node_modules', '@types', 'node'),
    join(project, 'node_modules', '@types', 'node'),
    'dir',
  );
  writeFileSync(
    join(project, 'package.json'),
    '{"name":"readme-user","private":true,"type":"module"}',
  );
  for (const block of blocks) writeFileSync(fileOf(block), block.code + '\n');
});
after(() => rmSync(project, { recursive: true, force: true }));

test('the README has TypeScript blocks, some of them whole programs', () => {
  assert.ok(blocks.length >= 7, `found ${blocks.length} ts blocks`);
  assert.ok(blocks.filter((b) => b.runnable).length >= 3);
});

test('every ts block of the README compiles on its own against the built package', () => {
  const program = ts.createProgram(blocks.map(fileOf), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined) return text;
    const block = blocks.find((b) => fileOf(b) === d.file!.fileName);
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    return `README.md:${block === undefined ? d.file.fileName : block.line + 1 + line}: ${text}`;
  });
  assert.deepEqual(problems, []);
});

for (const block of blocks.filter((b) => b.runnable)) {
  test(`README.md:${block.line}, a whole program, runs against the simulator and ends by itself`, () => {
    const js = ts.transpileModule(block.code, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    const file = fileOf(block).replace(/\.ts$/, '.mjs');
    writeFileSync(file, js);
    const env = { ...process.env };
    delete env['POLYGON_API_KEY'];
    const run = spawnSync(process.execPath, [file], {
      cwd: project,
      env,
      encoding: 'utf8',
      timeout: RUN_LIMIT_MS,
    });
    assert.equal(
      run.signal,
      null,
      `killed after ${RUN_LIMIT_MS} ms: it does not end by itself\n${run.stderr}`,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.length > 0, 'it printed nothing');
  });
}

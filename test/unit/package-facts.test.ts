/**
 * What the package says about itself is true: the license it names ships as a file, the registry
 * page can resolve the README's relative links (repository, homepage), `engines` states a Node
 * version that has every Node API the code uses, and the README points to every example.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string;
  repository?: { url?: string };
  homepage?: string;
  bugs?: { url?: string };
  engines: { node: string };
};

/** Node APIs newer than Node 20.0 that the code may use, and the release that added them. */
const NEWER_APIS: Record<string, [number, number]> = {
  styleText: [20, 12],
};

test('the MIT license ships as a LICENSE file in the packed tarball', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n/);
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    }),
  ) as [{ files: { path: string }[] }];
  const files = packed.files.map((f) => f.path);
  for (const file of ['LICENSE', 'README.md', 'package.json', 'bin/polygon-stream.js']) {
    assert.ok(files.includes(file), `${file} is packed`);
  }
});

test('repository, homepage and bugs are set (the registry resolves relative links with them)', () => {
  assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
  assert.match(pkg.homepage ?? '', /^https:\/\/github\.com\//);
  assert.match(pkg.bugs?.url ?? '', /^https:\/\/github\.com\/.*\/issues$/);
});

test('engines.node is at least the release of every newer Node API the code uses', () => {
  const stated = /^>=(\d+)\.(\d+)(?:\.\d+)?$/.exec(pkg.engines.node);
  assert.ok(stated, `engines.node ${pkg.engines.node} is a >= range`);
  const [major, minor] = [Number(stated[1]), Number(stated[2])];
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(ROOT, 'src', f), 'utf8'))
    .join('\n');
  for (const [api, [needMajor, needMinor]] of Object.entries(NEWER_APIS)) {
    if (!new RegExp(`\\b${api}\\b`).test(sources)) continue;
    assert.ok(
      major > needMajor || (major === needMajor && minor >= needMinor),
      `${api} needs Node ${needMajor}.${needMinor}; engines says ${pkg.engines.node}`,
    );
  }
});

test('the README points to every example', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const file of readdirSync(join(ROOT, 'examples'))) {
    assert.ok(readme.includes(`](examples/${file})`), `README links examples/${file}`);
  }
});

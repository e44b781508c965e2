import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, render } from '../../scripts/readme.js';

test('README: the stream and error tables match the code (run `npm run docs` to refresh)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, render(readme));
});

test('README leads with the two set-up commands', () => {
  const readme = readFileSync(README, 'utf8');
  assert.ok(readme.indexOf('npm install && npm start') < readme.indexOf('npm test'));
  assert.ok(
    readme.indexOf('npm install && npm start') < readme.indexOf('## The CLI') ||
      !readme.includes('## The CLI'),
  );
});

test('README: the install line and the Node versions package.json supports', () => {
  const readme = readFileSync(README, 'utf8');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  assert.ok(readme.includes('npm install polygon-stream\n'), 'an install line');
  const minimum = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  assert.ok(minimum !== undefined, `engines.node ${pkg.engines.node} is a plain minimum`);
  assert.ok(readme.includes(`Node.js ${minimum} or newer`), `README names Node.js ${minimum}`);
});

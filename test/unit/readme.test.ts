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

/**
 * Tests that run Python with redis-py (the README's Python consumer) call `requirePythonRedis` at
 * the top of their file and pass its `skip` to each test: the first of `python3` (on PATH) and
 * `/usr/bin/python3` that can `import redis`. Without one the tests skip, counted and named with
 * the install hint; where it must be present (`CI` or `REQUIRE_PYTHON_REDIS=1`), the file fails.
 */
import { spawnSync } from 'node:child_process';
import { missingProgram, type SystemBinary } from './system-deps.js';

const CANDIDATES = ['python3', '/usr/bin/python3'];

export function requirePythonRedis(): SystemBinary {
  for (const python of CANDIDATES) {
    const probe = spawnSync(python, ['-c', 'import redis'], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return { path: python, skip: false };
  }
  const skip = missingProgram('python3-redis', {
    env: 'REQUIRE_PYTHON_REDIS',
    install: 'apt-get install python3-redis',
    what: 'the Python (redis-py) example test',
  });
  return { path: undefined, skip };
}

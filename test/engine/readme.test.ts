// The README is the user's reference: it must describe every experiment field the schema has.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { experimentSchema } from '../../src/engine/experiment';

describe('README', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

  it('documents every field of the experiment schema', () => {
    const fields: string[] = [];
    const walk = (node: any, prefix: string) => {
      if (node?.$ref) node = (experimentSchema as any).definitions[node.$ref.split('/').pop()];
      const branches = node?.oneOf && node.discriminator ? node.oneOf : [node];
      for (const b of branches) {
        for (const [key, child] of Object.entries<any>(b?.properties ?? {})) {
          if (key === '$schema') continue;
          const name = prefix ? `${prefix}.${key}` : key;
          fields.push(name);
          walk(child, name);
        }
      }
    };
    walk(experimentSchema, '');
    assert.ok(fields.length > 40, `found ${fields.length} fields`);
    const missing = [...new Set(fields)].filter((f) => !readme.includes('`' + f) && !readme.includes('`' + f.split('.').pop()! + '`'));
    assert.deepEqual(missing, [], 'fields missing from the README');
  });

  it('gives the commands a newcomer runs', () => {
    for (const cmd of ['npm install', 'npm start', 'npm test', 'den-lab train', 'den-lab eval', 'npm run bench']) assert.ok(readme.includes(cmd), cmd);
  });
});

// Generators of malformed experiment files for property-based tests (fast-check): each case is the
// file's bytes and what a good error message must name. Every case is invalid by construction:
// the wrong types and out-of-range values come from the JSON Schema's own declarations (so new
// fields in `den` or `training` are fuzzed too), not from the validator under test.
import fc from 'fast-check';
import schema from '../../media/experiment.schema.json';

export interface MalformedCase {
  /** What was done, for the failure report. */
  what: string;
  bytes: Buffer;
  /** The field the message must name (e.g. "den.tau"), or null when it must name a line/the file. */
  field: string | null;
}

type Node = Record<string, any>;
const INF = '__INFINITY__'; // replaced by the literal 1e309 in the text (JSON.stringify cannot write it)

const resolve = (node: Node): Node => (node?.$ref ? (schema as Node).definitions[node.$ref.split('/').pop()] : node);

/** Valid variants of the discriminated sections, each with its required fields. */
const DATA_VARIANTS: Node[] = [
  { source: 'mnist', limit: 200 },
  { source: 'idx', trainImages: 'images.idx3-ubyte', trainLabels: 'labels.idx1-ubyte' },
  { source: 'csv', train: 'train.csv', labelColumn: 'label' },
];
const TASK_VARIANTS: Node[] = [
  { type: 'permuted', count: 2 },
  { type: 'split', groups: [[0, 1], [2, 3]] },
  { type: 'one-vs-rest', classes: [0, 1] },
  { type: 'rotated', angles: [0, 90] },
];

function base(data: Node, tasks: Node): Node {
  return { name: 'fuzz', data: structuredClone(data), tasks: structuredClone(tasks), network: { hidden: [8] }, den: {}, baselines: {}, training: { steps: 2 } };
}

/** The schema node of an object section, for the variant in use. */
function sectionNode(section: string, doc: Node): Node {
  const node = resolve((schema as Node).properties[section]);
  if (node.discriminator) {
    const tag = node.discriminator.propertyName;
    return node.oneOf.find((b: Node) => b.properties[tag].const === doc[section][tag]);
  }
  return node;
}

/** Leaf fields whose values can be fuzzed: [section, key, schema node]. */
function leaves(doc: Node): [string, string, Node][] {
  const out: [string, string, Node][] = [];
  for (const section of ['data', 'tasks', 'network', 'den', 'baselines', 'training']) {
    const node = sectionNode(section, doc);
    const tag = resolve((schema as Node).properties[section]).discriminator?.propertyName;
    for (const [key, child] of Object.entries<Node>(node.properties)) if (key !== tag) out.push([section, key, resolve(child)]);
  }
  return out;
}

const typesOf = (node: Node): string[] => (node.oneOf ? node.oneOf.flatMap(typesOf) : node.enum ? ['enum'] : ([] as string[]).concat(node.type ?? []));

/** Values that the node's declared type(s) surely reject. */
function wrongTypeValues(node: Node): unknown[] {
  const t = typesOf(node);
  const out: unknown[] = [];
  const has = (x: string) => t.includes(x);
  if (!has('boolean')) out.push(true);
  if (!has('string') && !has('enum')) out.push('text');
  if (has('enum')) out.push('not-one-of-them');
  if (!has('null')) out.push(null);
  if (!has('array')) out.push([1, 2]);
  out.push({ nested: 1 });
  if (has('number') || has('integer')) out.push(INF, `-${INF}`);
  if (has('integer') && !has('number')) out.push(1.5);
  if (!has('number') && !has('integer') && !has('enum')) out.push(42);
  return out;
}

/** Numbers just outside the declared range of a numeric node (or of its array items). */
function outOfRangeValues(node: Node): unknown[] {
  if (node.type === 'array' && node.items && !node.items.type?.includes?.('array')) return outOfRangeValues(resolve(node.items)).map((v) => [v]);
  const t = typesOf(node);
  if (!t.includes('number') && !t.includes('integer')) return [];
  const step = t.includes('integer') && !t.includes('number') ? 1 : 0.5;
  const out: unknown[] = [];
  if (node.minimum !== undefined) out.push(node.minimum - step);
  if (node.exclusiveMinimum !== undefined) out.push(node.exclusiveMinimum);
  if (node.maximum !== undefined) out.push(node.maximum + step);
  if (node.exclusiveMaximum !== undefined) out.push(node.exclusiveMaximum);
  return out;
}

const text = (doc: unknown) => JSON.stringify(doc, null, 2).replace(new RegExp(`"(-?)${INF}"`, 'g'), '$11e309');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const variant = fc.record({ data: fc.constantFrom(...DATA_VARIANTS), tasks: fc.constantFrom(...TASK_VARIANTS) }).map(({ data, tasks }) => base(data, tasks));

/** A leaf set to a value of the wrong type or outside its range. */
const badLeaf: fc.Arbitrary<MalformedCase> = variant.chain((doc) => {
  const choices = leaves(doc).flatMap(([section, key, node]) => [...wrongTypeValues(node), ...outOfRangeValues(node)].map((value) => ({ section, key, value })));
  return fc.constantFrom(...choices).map(({ section, key, value }) => {
    const d = structuredClone(doc);
    d[section][key] = value;
    return { what: `${section}.${key} = ${JSON.stringify(value)} (${doc.data.source}, ${doc.tasks.type})`, bytes: utf8(text(d)), field: `${section}.${key}` };
  });
});

/** An element of an array field of the wrong type. */
const badElement: fc.Arbitrary<MalformedCase> = fc
  .tuple(fc.constantFrom(['network', 'hidden'], ['tasks', 'angles'], ['tasks', 'classes'], ['tasks', 'groups']), fc.constantFrom('x', true, null, { a: 1 }, 2.5), fc.nat(3))
  .map(([[section, key], value, index]) => {
    const tasks = TASK_VARIANTS.find((t) => key in t) ?? TASK_VARIANTS[0];
    const d = base(DATA_VARIANTS[0], tasks);
    const arr = d[section][key] as unknown[];
    const at = Math.min(index, arr.length);
    if (key === 'angles' && typeof value === 'number') value = 'x'; // 2.5° is a valid angle
    arr[at] = value;
    return { what: `${section}.${key}[${at}] = ${JSON.stringify(value)}`, bytes: utf8(text(d)), field: `${section}.${key}` };
  });

/** A field that does not exist, including keys that mean something to JavaScript objects. */
const unknownKey: fc.Arbitrary<MalformedCase> = fc
  .tuple(fc.constantFrom('', 'data', 'tasks', 'network', 'den', 'baselines', 'training'), fc.constantFrom('__proto__', 'constructor', 'prototype', 'tua', 'hiden', 'extra field'), fc.jsonValue({ maxDepth: 2 }))
  .map(([section, key, value]) => {
    const d = base(DATA_VARIANTS[0], TASK_VARIANTS[0]);
    const target = section ? d[section] : d;
    // JSON.stringify skips an own "__proto__" set by assignment, so write it into the text
    const marker = '"__KEY__": 0';
    Object.assign(target, { __KEY__: 0 });
    const t = text(d).replace(marker, `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    const field = key === 'extra field' ? JSON.stringify(key) : key;
    return { what: `unknown key ${JSON.stringify(key)} in ${section || 'the top level'}`, bytes: utf8(t), field: section ? `${section}.${field}` : field };
  });

/** A required field left out. */
const missingRequired: fc.Arbitrary<MalformedCase> = fc
  .constantFrom<[Node, Node, string, string]>([DATA_VARIANTS[0], TASK_VARIANTS[0], '', 'name'], [DATA_VARIANTS[1], TASK_VARIANTS[0], 'data', 'trainImages'], [DATA_VARIANTS[2], TASK_VARIANTS[0], 'data', 'train'], [DATA_VARIANTS[0], TASK_VARIANTS[1], 'tasks', 'groups'], [DATA_VARIANTS[0], TASK_VARIANTS[3], 'tasks', 'angles'], [DATA_VARIANTS[0], TASK_VARIANTS[0], 'data', 'source'], [DATA_VARIANTS[0], TASK_VARIANTS[0], 'tasks', 'type'])
  .map(([data, tasks, section, key]) => {
    const d = base(data, tasks);
    delete (section ? d[section] : d)[key];
    return { what: `${section ? section + '.' : ''}${key} missing`, bytes: utf8(text(d)), field: section ? `${section}.${key}` : key };
  });

/** Names that are too long, empty or not folder-safe. */
const badName: fc.Arbitrary<MalformedCase> = fc
  .oneof(fc.string({ minLength: 65, maxLength: 400 }).map((s) => 'n' + s.replace(/[^A-Za-z0-9]/g, 'x')), fc.constantFrom('', ' leading', '../escape', 'a/b', 'c:\\d', 'nul\u0000', 'tab\there', '😀', '.hidden'))
  .map((name) => {
    const d = base(DATA_VARIANTS[0], TASK_VARIANTS[0]);
    d.name = name;
    return { what: `name ${JSON.stringify(name).slice(0, 40)}`, bytes: utf8(text(d)), field: 'name' };
  });

/** Relations between fields that the schema cannot express. */
const crossField: fc.Arbitrary<MalformedCase> = fc.constantFrom<MalformedCase>(
  (() => {
    const d = base(DATA_VARIANTS[0], TASK_VARIANTS[0]);
    d.network.hidden = [8, 8];
    d.den.gamma = [0.1, 0.1, 0.1];
    return { what: 'gamma per layer of the wrong length', bytes: utf8(text(d)), field: 'den.gamma' };
  })(),
  (() => {
    const d = base(DATA_VARIANTS[0], { type: 'split', groups: [[0, 1], [1, 2]] });
    return { what: 'a class in two split groups', bytes: utf8(text(d)), field: 'tasks.groups' };
  })(),
);

const valid = () => text(base(DATA_VARIANTS[0], TASK_VARIANTS[0]));

/** Broken JSON: cut short, or a stray character. */
const syntax: fc.Arbitrary<MalformedCase> = fc.oneof(
  fc.integer({ min: 1, max: valid().length - 2 }).map((n) => ({ what: `cut after ${n} characters`, bytes: utf8(valid().slice(0, n)), field: null })),
  fc.tuple(fc.integer({ min: 1, max: valid().length - 2 }), fc.constantFrom('}', ']', ',', ':', '@', '"')).map(([n, c]) => ({ what: `${JSON.stringify(c)} inserted at ${n}`, bytes: utf8(valid().slice(0, n) + c + c + valid().slice(n)), field: null })),
).filter((c) => {
  try {
    JSON.parse(c.bytes.toString());
    return false; // still valid JSON: not a syntax case
  } catch {
    return true;
  }
});

/** Not UTF-8: stray bytes in a string, or UTF-16. */
const encoding: fc.Arbitrary<MalformedCase> = fc.oneof(
  fc.constantFrom(0xff, 0xc3, 0x80, 0xfe, 0xed).map((b) => {
    const t = valid().replace('"fuzz"', '"fu@zz"');
    const at = t.indexOf('@');
    return { what: `byte 0x${b.toString(16)} in the name`, bytes: Buffer.concat([utf8(t.slice(0, at)), Buffer.from([b]), utf8(t.slice(at + 1))]), field: null };
  }),
  fc.constant({ what: 'UTF-16 LE with a BOM (PowerShell 5 Out-File)', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid(), 'utf16le')]), field: null }),
);

/** Deep nesting and huge values. */
const oversized: fc.Arbitrary<MalformedCase> = fc.oneof(
  fc.integer({ min: 21, max: 20000 }).map((depth) => ({ what: `${depth} levels of nesting`, bytes: utf8(`{"name": "deep", "den": ${'['.repeat(depth)}${']'.repeat(depth)}}`), field: null })),
  fc.integer({ min: 1000, max: 60000 }).map((n) => {
    const d = base(DATA_VARIANTS[0], { type: 'rotated', angles: new Array(n).fill(720) });
    return { what: `${n} angles out of range`, bytes: utf8(text(d)), field: 'tasks.angles' };
  }),
  fc.integer({ min: 1000, max: 100000 }).map((n) => {
    const d = base(DATA_VARIANTS[0], TASK_VARIANTS[0]);
    d.den.tau = 'x'.repeat(n);
    return { what: `a ${n}-character string for den.tau`, bytes: utf8(text(d)), field: 'den.tau' };
  }),
);

/** A document that is not an object. */
const notAnObject: fc.Arbitrary<MalformedCase> = fc.constantFrom('[]', '42', '"experiment"', 'null', 'true', '[{"name": "x"}]').map((t) => ({ what: `top level ${t}`, bytes: utf8(t), field: null }));

/** Every kind of malformed file, weighted towards the field-level cases. */
export const malformedExperiment: fc.Arbitrary<MalformedCase> = fc
  .oneof(
    { arbitrary: badLeaf, weight: 8 },
    { arbitrary: badElement, weight: 2 },
    { arbitrary: unknownKey, weight: 2 },
    { arbitrary: missingRequired, weight: 1 },
    { arbitrary: badName, weight: 2 },
    { arbitrary: crossField, weight: 1 },
    { arbitrary: syntax, weight: 2 },
    { arbitrary: encoding, weight: 1 },
    { arbitrary: oversized, weight: 1 },
    { arbitrary: notAnObject, weight: 1 },
  )
  // a counterexample is reported by what was done, not by its bytes
  .map((c) => Object.assign(c, { [fc.toStringMethod]: () => c.what }));

/** What every rejection must look like: one line, short, naming the file and the field (or a line/column). */
export function messageProblem(message: string, label: string, c: MalformedCase): string | null {
  if (message.includes('\n')) return 'the message has more than one line';
  if (message.length > 1500) return `the message is ${message.length} characters long`;
  if (!message.startsWith(`${label}: `)) return `the message does not start with the file name: ${message.slice(0, 120)}`;
  if (/\n\s+at |\bat [\w.]+ \(/.test(message)) return 'the message has a stack trace';
  const rest = message.slice(label.length + 2).trim();
  if (!rest) return 'the message says nothing after the file name';
  if (c.field !== null && !message.includes(c.field)) return `the message does not name ${c.field}: ${message.slice(0, 300)}`;
  return null;
}

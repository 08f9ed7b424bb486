/*
 * The adapter kit for JavaScript: a JavaScript pickle library as a
 * picklespec target in a few lines (the counterpart of kit.py).
 *
 * Theory of operation
 * -------------------
 * picklespec starts `node adapter.js ARGS...` once and speaks
 * runner/PROTOCOL.md to it: one JSON request per line on stdin, one JSON
 * answer per line on stdout, ids echoed, nothing else on stdout.  An adapter
 * calls `main({hello, load, parse, scan, transform})`: `hello` is its
 * profile (the hello answer; `checks` is filled in from the functions
 * given), and each function takes the stream as a Node.js Buffer:
 *
 *   load(buffer, options) -> a JavaScript value, answered as tagged JSON
 *   parse(buffer)         -> returns if well-formed, throws if not
 *   scan(buffer)          -> {finds: ["module:name", ...], calls: [...] or null}
 *   transform(buffer)     -> a Buffer
 *
 * Whatever a function throws is the library's answer, `rejected`, with the
 * thrown value's type as `exception`: an Error's name (`Error`,
 * `TypeError`, `RangeError`), or `String` for a thrown string; `clean: false`
 * when that name is not in the profile's `clean_exceptions`.
 *
 * JavaScript values become tagged JSON (cases/README.md) by one fixed
 * mapping, which the profile's `model` projections (no-tuple, str-keys,
 * double-numbers, ...) tell the runner about: null -> none, booleans -> bool,
 * a number with an integral value (not -0) -> int, any other number ->
 * float, a BigInt -> int, a string -> str, a Buffer or Uint8Array -> bytes,
 * an Array -> list, a Set -> set, a Map -> dict, a plain object -> dict with
 * str keys.  Anything else (undefined, a function, a class instance, a Date)
 * has no tagged-JSON form: `undescribable`.  A value reached twice carries
 * an `id` where it first occurs and is a `ref` after; an answer nesting more
 * than 500 JSON levels is `undescribable`, as the Python worker answers.
 */
'use strict';

const readline = require('readline');

// Only answers may reach stdout; anything a library prints goes to stderr.
console.log = console.info = console.debug = console.error;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const MAX_DEPTH = 500;
const CHECKS = ['load', 'dump', 'parse', 'scan', 'transform'];

class Undescribable extends Error {}

function numberText(x) {
    if (Number.isNaN(x)) return 'nan';
    if (x === Infinity) return 'inf';
    if (x === -Infinity) return '-inf';
    if (Object.is(x, -0)) return '-0.0';
    return String(x);
}

function isPlainObject(value) {
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

function children(value) {
    if (Array.isArray(value)) return value;
    if (value instanceof Set) return [...value];
    if (value instanceof Map) return [...value.keys(), ...value.values()];
    if (isPlainObject(value)) return Object.values(value);
    return [];
}

function isContainer(value) {
    return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) &&
        (Array.isArray(value) || value instanceof Set || value instanceof Map || isPlainObject(value));
}

/** The containers reachable more than once (without recursion: cycles, depth). */
function sharedValues(root) {
    const seen = new Set();
    const shared = new Set();
    const stack = [root];
    while (stack.length) {
        const value = stack.pop();
        if (!isContainer(value)) continue;
        if (seen.has(value)) {
            shared.add(value);
            continue;
        }
        seen.add(value);
        for (const child of children(value)) stack.push(child);
    }
    return shared;
}

/** The tagged JSON of a JavaScript value; throws Undescribable. */
function toTagged(root) {
    const shared = sharedValues(root);
    const ids = new Map();
    function encode(value, depth) {
        if (depth > MAX_DEPTH) {
            throw new Undescribable('the result nests deeper than ' + MAX_DEPTH + ' JSON levels');
        }
        if (ids.has(value)) return { type: 'ref', id: ids.get(value) };
        const node = {};
        if (shared.has(value)) {
            ids.set(value, String(ids.size + 1));
            node.id = ids.get(value);
        }
        const inner = (v) => encode(v, depth + 2);
        switch (typeof value) {
        case 'boolean': return Object.assign(node, { type: 'bool', value: value ? 'true' : 'false' });
        case 'bigint': return Object.assign(node, { type: 'int', value: value.toString() });
        case 'string': return Object.assign(node, { type: 'str', value: value });
        case 'number':
            if (Number.isInteger(value) && !Object.is(value, -0)) {
                return Object.assign(node, { type: 'int', value: BigInt(value).toString() });
            }
            return Object.assign(node, { type: 'float', value: numberText(value) });
        case 'object': break;
        default: throw new Undescribable('a JavaScript ' + typeof value + ' stands for no Python value');
        }
        if (value === null) return Object.assign(node, { type: 'none' });
        if (value instanceof Uint8Array) {
            return Object.assign(node, { type: 'bytes', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') });
        }
        if (Array.isArray(value)) return Object.assign(node, { type: 'list', items: value.map(inner) });
        if (value instanceof Set) return Object.assign(node, { type: 'set', items: [...value].map(inner) });
        if (value instanceof Map) {
            return Object.assign(node, { type: 'dict', items: [...value].map(([k, v]) => [inner(k), inner(v)]) });
        }
        if (isPlainObject(value)) {
            return Object.assign(node, { type: 'dict', items: Object.keys(value).map((k) => [inner(k), inner(value[k])]) });
        }
        const kind = value.constructor && value.constructor.name ? value.constructor.name : 'object';
        throw new Undescribable('a JavaScript ' + kind + ' stands for no Python value');
    }
    return encode(root, 1);
}

function thrownName(err) {
    if (err instanceof Error) return err.name;
    if (typeof err === 'string') return 'String';
    return typeof err;
}

function rejected(err, clean) {
    const name = thrownName(err);
    const text = err instanceof Error ? err.message : String(err);
    const answer = { ok: false, kind: 'rejected', exception: name, message: name + ': ' + text };
    if (err instanceof Error) {  // the prototype chain's names, nearest first (TypeError -> Error)
        answer.exception_bases = [];
        for (let p = Object.getPrototypeOf(Object.getPrototypeOf(err)); p && p.constructor; p = Object.getPrototypeOf(p)) {
            answer.exception_bases.push(p.constructor.name);
        }
    }
    if (clean && !clean.includes(name)) answer.clean = false;
    return answer;
}

/** The answer to one request (an object), given the adapter. */
function answerFor(adapter, request) {
    const op = request.op;
    if (op === 'hello') return Object.assign({ ok: true }, adapter.hello);
    if (!CHECKS.includes(op)) return { ok: false, kind: 'protocol', message: 'unknown op ' + JSON.stringify(op) };
    const fn = adapter[op];
    if (typeof fn !== 'function') {
        return { ok: false, kind: 'unsupported', message: adapter.hello.name + ' does no ' + op };
    }
    if (op === 'dump') return { ok: false, kind: 'unsupported', message: 'the JavaScript kit has no dump' };
    if (typeof request.data !== 'string' || !HEX.test(request.data)) {
        return { ok: false, kind: 'protocol', message: op + ': "data" must be an even-length hex string' };
    }
    const options = request.options || {};
    const allowed = adapter.hello.load_options || [];
    const extra = Object.keys(options).filter((k) => !allowed.includes(k));
    if (op === 'load' && extra.length) {
        return { ok: false, kind: 'unsupported', message: adapter.hello.name + ' has no load option ' + extra.join(', ') };
    }
    const data = Buffer.from(request.data, 'hex');
    let result;
    try {
        result = op === 'load' ? fn(data, options) : fn(data);
    } catch (err) {
        return rejected(err, adapter.hello.clean_exceptions);
    }
    if (op === 'parse') return { ok: true };
    if (op === 'transform') return { ok: true, data: Buffer.from(result).toString('hex') };
    if (op === 'scan') return { ok: true, finds: result.finds, calls: result.calls === undefined ? null : result.calls };
    try {
        return { ok: true, object: toTagged(result) };
    } catch (err) {
        if (err instanceof Undescribable || err instanceof RangeError) {
            return { ok: false, kind: 'undescribable', message: err.message };
        }
        throw err;
    }
}

/** Check a profile, filling in checks, producer, model, pipeline. */
function profile(adapter) {
    const hello = Object.assign({ producer: null, model: [], load_options: [], dump_protocols: [], pipeline: true }, adapter.hello);
    hello.checks = CHECKS.filter((c) => typeof adapter[c] === 'function');
    const problems = [];
    for (const field of ['name', 'implementation', 'version', 'kind']) {
        if (typeof hello[field] !== 'string' || !hello[field]) problems.push(field + ' must be a non-empty string');
    }
    if (!hello.checks.length) problems.push('no function given (load, parse, scan, transform)');
    if (!Array.isArray(hello.load_protocols) || !hello.load_protocols.length) problems.push('load_protocols is required');
    if (hello.opcodes !== 'all' && !(Array.isArray(hello.opcodes) && hello.opcodes.length)) {
        problems.push('opcodes must be "all" or a non-empty list');
    }
    if ((hello.checks.includes('load') || hello.checks.includes('parse')) &&
            !(Array.isArray(hello.clean_exceptions) && hello.clean_exceptions.length)) {
        problems.push('clean_exceptions is required');
    }
    return { hello, problems };
}

/** Run an adapter: make(...args) returns {hello, load, parse, scan, transform}. */
function main(make) {
    let adapter = null;
    let problem = null;
    try {
        adapter = make(...process.argv.slice(2));
        const checked = profile(adapter);
        adapter.hello = checked.hello;
        if (checked.problems.length) problem = 'the profile is not allowed: ' + checked.problems.join('; ');
    } catch (err) {
        problem = (err && err.code === 'MODULE_NOT_FOUND')
            ? 'the npm package is not installed (' + String(err.message).split('\n')[0] + '); run: picklespec adapters install ' +
              require('path').basename(require('path').dirname(require.main.filename))
            : 'cannot start: ' + String(err && err.stack || err);
    }
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    lines.on('line', (line) => {
        if (!line.trim()) return;
        let request = null;
        let reply;
        try {
            request = JSON.parse(line);
        } catch (err) {
            reply = { ok: false, kind: 'protocol', message: 'not a JSON request: ' + err.message };
        }
        if (request !== null && (typeof request !== 'object' || Array.isArray(request))) {
            request = null;
            reply = { ok: false, kind: 'protocol', message: 'a request must be a JSON object' };
        }
        if (request !== null) {
            if (problem !== null) {
                reply = { ok: false, kind: 'unavailable', message: problem };
            } else {
                try {
                    reply = answerFor(adapter, request);
                } catch (err) {
                    reply = { ok: false, kind: 'internal', exception: thrownName(err), message: String(err && err.stack || err) };
                }
            }
            if ('id' in request) reply.id = request.id;
        }
        let text;
        try {
            text = JSON.stringify(reply);
        } catch (err) {  // a cycle or a depth JSON.stringify cannot write
            text = JSON.stringify({ ok: false, kind: 'internal', message: String(err), id: request && request.id });
        }
        process.stdout.write(text + '\n');
    });
}

module.exports = { main, toTagged, Undescribable, CHECKS };

#!/usr/bin/env node
/*
 * A picklespec target for the npm package `pickleparser`, a JavaScript
 * unpickler.
 *
 * Theory of operation
 * -------------------
 * picklespec starts `node adapter.js` once and speaks runner/PROTOCOL.md to
 * it: one JSON request per line on stdin, one JSON answer per line on stdout.
 * `hello` says who we are; `load` hands the stream to pickleparser's Parser
 * and answers with what it returned, as tagged JSON (cases/README.md); `dump`
 * is answered `unsupported`, since pickleparser only reads.
 *
 * pickleparser builds JavaScript values, not Python objects, so the answer is
 * the most faithful tagged JSON those values allow (README.md next to this
 * file lists every rule and what it cannot tell apart).  The Parser runs with
 * the options that keep the most: dicts as Map (any key, insertion order),
 * sets as Set, and a persistentResolver that keeps the persistent id, as
 * picklespec's Python worker does with persistent_load.  Nothing else of
 * Python is added: globals stay the stand-ins pickleparser makes for them, so
 * what is judged is the library as its users get it.
 *
 * Both passes over a result (finding shared values, then encoding) and the
 * JSON writer use explicit stacks, like reference/model.py's to_json, because
 * a pickle may nest deeper than V8's call stack.
 */
'use strict';

const path = require('path');
const readline = require('readline');

// Only answers may reach stdout; anything the library prints goes to stderr.
console.log = console.info = console.debug = console.error;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
// The deepest answer written.  JSON readers recurse (Python's json stops
// near 1000 levels, less the caller's own stack), and picklespec's Python
// worker likewise answers `undescribable` for a result its json cannot
// write.  No case expects a result this deep: deep cases throw the deep
// value away before STOP.
const MAX_DEPTH = 500;

let library = null;
let libraryError = null;
try {
    library = {
        Parser: require('pickleparser').Parser,
        NameRegistry: require('pickleparser').NameRegistry,
        version: require('pickleparser/package.json').version,
    };
} catch (err) {
    libraryError = 'pickleparser is not installed next to ' + __filename + ' (' + err.message.split('\n')[0] +
        '); run: npm ci --prefix ' + path.relative(process.cwd(), __dirname || '.');
}

/** What a persistentResolver gives back: the id, kept for the answer. */
class PersistentReference {
    constructor(pid) {
        this.pid = pid;
    }
}

/**
 * The copyreg extension codes picklespec's fixtures register (runner/PROTOCOL.md,
 * "The copyreg extension cache"), given to pickleparser through its own
 * `extensionResolver` option: a code resolves to the stand-in pickleparser
 * makes for the global registered under it, as its `NameRegistry` makes it
 * for a GLOBAL naming that global; any other code is refused with the
 * library's own message.
 */
const EXTENSION_NAMES = new Map([
    [240, ['picklespec.cases.fixtures', 'Extension1']],
    [61680, ['picklespec.cases.fixtures', 'Extension2']],
    [15790320, ['picklespec.cases.fixtures', 'Extension4']],
]);
const EXTENSIONS = {
    resolve(code) {
        const named = EXTENSION_NAMES.get(code);
        if (named === undefined) {
            throw new Error(`Unregistered extension code: \`${code.toString(16)}\`.`);
        }
        return new library.NameRegistry().resolve(named[0], named[1]);
    },
};

/** The load succeeded but its result has no tagged-JSON form. */
class Undescribable extends Error {}

// -- requests ------------------------------------------------------------

function hello() {
    if (library === null) {
        return { ok: false, kind: 'unavailable', message: libraryError };
    }
    return {
        ok: true,
        // The name without the version keeps baseline keys across releases.
        name: 'pickleparser',
        implementation: 'pickleparser',
        version: library.version,
        kind: 'js',
        library: 'pickleparser ' + library.version + ' (npm) on Node.js ' + process.version,
        producer: null,
        dump_protocols: [],
        load_protocols: [0, 1, 2, 3, 4, 5],
        load_options: ['buffers'],
        // The profile (runner/PROTOCOL.md; README.md next to this file).
        checks: ['load'],
        opcodes: 'all',
        // One JS number type (BigInt for LONG4), arrays for tuples, Set for
        // frozenset, Uint8Array for bytearray; globals stay the stand-ins
        // pickleparser makes, and calls of them are recorded, not made.
        // BUILD sets a state dict's items as properties, named by strings.
        model: ['no-tuple', 'no-frozenset', 'double-numbers', 'no-bytearray', 'str-attributes',
                'unresolved-globals'],
        // pickleparser throws Error itself; a TypeError or RangeError is the
        // JavaScript runtime's, not a rejection the library made.
        clean_exceptions: ['Error'],
        // Requests are read one line at a time and answered in order, so
        // picklespec may write the next before this one is answered.
        pipeline: true,
    };
}

function dump() {
    return { ok: false, kind: 'unsupported', message: 'pickleparser reads pickles; it has no pickler' };
}

function load(request) {
    if (library === null) {
        return { ok: false, kind: 'unavailable', message: libraryError };
    }
    if (typeof request.data !== 'string' || !HEX.test(request.data)) {
        return { ok: false, kind: 'protocol', message: 'load: "data" must be an even-length hex string' };
    }
    const options = request.options || {};
    for (const name of Object.keys(options)) {
        if (name !== 'buffers') {
            return { ok: false, kind: 'unsupported', message: 'pickleparser has no ' + name + ' option' };
        }
    }
    // Buffers given out of band (PEP 574) are what NEXT_BUFFER pushes: tagged
    // bytes (read-only) or bytearray (writable) values, described back as
    // the type they were given as.
    const given = new Map();
    const buffers = [];
    for (const tagged of options.buffers || []) {
        if (!tagged || (tagged.type !== 'bytes' && tagged.type !== 'bytearray') ||
                typeof tagged.value !== 'string' || !HEX.test(tagged.value)) {
            return { ok: false, kind: 'protocol', message: 'load: "buffers" must be tagged bytes or bytearray values' };
        }
        const buffer = Uint8Array.from(Buffer.from(tagged.value, 'hex'));
        given.set(buffer, tagged.type);
        buffers.push(buffer);
    }
    const parser = new library.Parser({
        unpicklingTypeOfDictionary: 'Map',
        unpicklingTypeOfSet: 'Set',
        persistentResolver: { resolve: (pid) => new PersistentReference(pid) },
        extensionResolver: EXTENSIONS,
        buffers: 'buffers' in options ? buffers[Symbol.iterator]() : undefined,
    });
    let result;
    try {
        result = parser.parse(Uint8Array.from(Buffer.from(request.data, 'hex')));
    } catch (err) {
        const name = err instanceof Error ? err.name : typeof err;
        const text = err instanceof Error ? err.message : String(err);
        return { ok: false, kind: 'rejected', exception: name, message: name + ': ' + text };
    }
    try {
        const tagged = toTagged(result, given);
        const depth = jsonDepth(tagged);
        if (depth > MAX_DEPTH) {
            throw new Undescribable('the result nests ' + depth + ' JSON levels deep; answers stop at ' +
                                    MAX_DEPTH + ', which every JSON reader takes');
        }
        return { ok: true, object: tagged };
    } catch (err) {
        if (err instanceof Undescribable) {
            return { ok: false, kind: 'undescribable', exception: 'Undescribable', message: err.message };
        }
        throw err;
    }
}

// -- JavaScript values -> tagged JSON --------------------------------------

/** Whether value is an instance pickleparser made for a Python global. */
function isInstance(value) {
    const proto = Object.getPrototypeOf(value);
    return proto !== null && Object.prototype.hasOwnProperty.call(proto, '__module__') &&
        Object.prototype.hasOwnProperty.call(proto, '__name__') && Array.isArray(value.args);
}

/** Whether value is the stand-in pickleparser made for a Python global. */
function isGlobal(value) {
    return typeof value === 'function' && value.prototype !== undefined &&
        Object.prototype.hasOwnProperty.call(value.prototype, '__module__');
}

/** The values a value holds, for the sharing pass (as model._children). */
function children(value) {
    if (Array.isArray(value)) return value;
    if (value instanceof Map) return [...value.keys(), ...value.values()];
    if (value instanceof Set) return [...value];
    if (value instanceof PersistentReference) return [value.pid];
    if (typeof value === 'object' && value !== null && isInstance(value)) {
        const out = [...value.args, ...Object.values(value)];
        if (Array.isArray(value.kwargs)) out.push(value.kwargs[0]);
        return out;
    }
    return [];
}

/** Whether a value can be referred to twice (model.identity_matters; a JS string has no identity, so a str never gets an id here). */
function shareable(value, given) {
    return typeof value === 'object' && value !== null &&
        (Array.isArray(value) || value instanceof Map || value instanceof Set ||
         given.has(value) || isInstance(value));
}

/** The shareable values reachable more than once from root. */
function sharedValues(root, given) {
    const seen = new Set();
    const shared = new Set();
    const stack = [root];
    while (stack.length) {
        const value = stack.pop();
        if (!shareable(value, given)) {
            if (value instanceof PersistentReference) stack.push(value.pid);
            continue;
        }
        if (seen.has(value)) {
            shared.add(value);
            continue;
        }
        seen.add(value);
        for (const child of children(value)) stack.push(child);
    }
    return shared;
}

function numberText(x) {
    if (Number.isNaN(x)) return 'nan';
    if (x === Infinity) return 'inf';
    if (x === -Infinity) return '-inf';
    if (Object.is(x, -0)) return '-0.0';
    return String(x); // the shortest text that reads back (ECMA-262 Number::toString); float() accepts it
}

function globalNode(module, name) {
    if (typeof module !== 'string' || typeof name !== 'string') {
        throw new Undescribable('a global whose module or name is not a string: ' + String(module) + ' ' + String(name));
    }
    return { type: 'global', module: module, name: name };
}

/**
 * The tagged JSON of one value; `child(v, hashable)` queues a value inside it.
 *
 * `hashable` is true where Python allows only hashable values -- a dict key,
 * a set member, or anything inside those -- so there an Array can only have
 * been a tuple and a Set a frozenset.
 */
function encodeOne(value, hashable, given, child) {
    switch (typeof value) {
    case 'undefined':
        throw new Undescribable('undefined (what pickleparser gives for a missing memo entry or an empty stack)');
    case 'boolean':
        return { type: 'bool', value: value ? 'true' : 'false' };
    case 'bigint':
        return { type: 'int', value: value.toString() };
    case 'string':
        return { type: 'str', value: value };
    case 'number':
        if (Number.isInteger(value) && !Object.is(value, -0)) {
            return { type: 'int', value: BigInt(value).toString() };
        }
        return { type: 'float', value: numberText(value) };
    case 'function':
        if (isGlobal(value)) return globalNode(value.prototype.__module__, value.prototype.__name__);
        throw new Undescribable('a JavaScript function that stands for no Python global');
    case 'object':
        break;
    default:
        throw new Undescribable('a JavaScript ' + typeof value);
    }
    if (value === null) return { type: 'none' };
    if (value instanceof Uint8Array) {
        if (given.get(value) === 'bytearray') {
            if (hashable) throw new Undescribable('a bytearray used as a dict key or set member');
            return { type: 'bytearray', value: Buffer.from(value).toString('hex') };
        }
        return { type: 'bytes', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
    }
    if (Array.isArray(value)) {
        return { type: hashable ? 'tuple' : 'list', items: value.map((v) => child(v, hashable)) };
    }
    if (value instanceof Set) {
        return { type: hashable ? 'frozenset' : 'set', items: [...value].map((v) => child(v, true)) };
    }
    if (value instanceof Map) {
        if (hashable) throw new Undescribable('a dict used as a dict key or set member');
        return { type: 'dict', items: [...value].map(([k, v]) => [child(k, true), child(v, false)]) };
    }
    if (value instanceof PersistentReference) {
        return { type: 'persistent', pid: child(value.pid, false) };
    }
    if (isInstance(value)) {
        return instanceNode(value, child);
    }
    const kind = value.constructor && value.constructor.name ? value.constructor.name : 'object';
    throw new Undescribable('a JavaScript ' + kind + ' that stands for no Python value');
}

/**
 * An object pickleparser made from a global: `new cls(...args)` for NEWOBJ,
 * NEWOBJ_EX, INST and OBJ (its prototype carries __setnewargs_ex__), a call
 * `cls(...args)` for REDUCE (it does not).  BUILD copies the state's entries
 * onto it as properties, so they are the state, keyed by str.
 */
function instanceNode(value, child) {
    const proto = Object.getPrototypeOf(value);
    const constructed = Object.prototype.hasOwnProperty.call(proto, '__setnewargs_ex__');
    const node = {
        type: 'object',
        via: constructed ? (Array.isArray(value.kwargs) ? 'newobj_ex' : 'newobj') : 'reduce',
        callable: globalNode(proto.__module__, proto.__name__),
        args: { type: 'tuple', items: value.args.map((v) => child(v, false)) },
    };
    if (node.via === 'newobj_ex') {
        const kwargs = value.kwargs[0];
        if (!(kwargs instanceof Map)) throw new Undescribable('NEWOBJ_EX keyword arguments that are not a dict');
        node.kwargs = child(kwargs, false);
    }
    const names = Object.keys(value);
    if (names.length) {
        node.state = { type: 'dict', items: names.map((k) => [{ type: 'str', value: k }, child(value[k], false)]) };
    }
    return node;
}

/**
 * The tagged-JSON tree of a result.  A value reached more than once carries
 * an id where it first occurs in the document; later occurrences are refs
 * (cases/README.md, "Tagged JSON").
 */
function toTagged(root, given) {
    const shared = sharedValues(root, given);
    const ids = new Map();
    const out = {};
    const work = [[root, out, false]];
    let pending = [];
    const child = (value, hashable) => {
        const slot = {};
        pending.push([value, slot, hashable]);
        return slot;
    };
    while (work.length) {
        const [value, node, hashable] = work.pop();
        if (ids.has(value)) {
            node.type = 'ref';
            node.id = ids.get(value);
            continue;
        }
        if (shared.has(value)) {
            ids.set(value, String(ids.size + 1));
            node.id = ids.get(value);
        }
        pending = [];
        Object.assign(node, encodeOne(value, hashable, given, child));
        // Children are visited in document order, so the first occurrence
        // of a shared value is the one that carries its id.
        while (pending.length) work.push(pending.pop());
    }
    return out;
}

/** How deep the JSON text of a tree will nest, without recursion. */
function jsonDepth(root) {
    let deepest = 0;
    const work = [[root, 1]];
    while (work.length) {
        const [item, depth] = work.pop();
        if (typeof item !== 'object' || item === null) continue;
        deepest = Math.max(deepest, depth);
        for (const child of Array.isArray(item) ? item : Object.values(item)) work.push([child, depth + 1]);
    }
    return deepest;
}

/** JSON text of a tree of plain objects, arrays and strings, without recursion. */
function stringify(root) {
    const parts = [];
    const work = [root];
    while (work.length) {
        const item = work.pop();
        if (item instanceof Literal) {
            parts.push(item.text);
        } else if (Array.isArray(item)) {
            work.push(new Literal(']'));
            for (let i = item.length - 1; i >= 0; i--) {
                work.push(item[i]);
                if (i) work.push(new Literal(', '));
            }
            parts.push('[');
        } else if (typeof item === 'object' && item !== null) {
            const keys = Object.keys(item).filter((k) => item[k] !== undefined).sort();
            work.push(new Literal('}'));
            for (let i = keys.length - 1; i >= 0; i--) {
                work.push(item[keys[i]]);
                work.push(new Literal((i ? ', ' : '') + JSON.stringify(keys[i]) + ': '));
            }
            parts.push('{');
        } else {
            parts.push(JSON.stringify(item));
        }
    }
    return parts.join('');
}

class Literal {
    constructor(text) {
        this.text = text;
    }
}

// -- the loop ----------------------------------------------------------------

const HANDLERS = { hello: hello, dump: dump, load: load };

function answer(line) {
    let request;
    try {
        request = JSON.parse(line);
    } catch (err) {
        return { ok: false, kind: 'protocol', message: 'not a JSON request: ' + err.message };
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        return { ok: false, kind: 'protocol', message: 'a request must be a JSON object' };
    }
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, request.op) ? HANDLERS[request.op] : null;
    let reply;
    if (handler === null) {
        reply = { ok: false, kind: 'protocol', message: 'unknown op ' + JSON.stringify(request.op) };
    } else {
        try {
            reply = handler(request);
        } catch (err) {
            reply = { ok: false, kind: 'internal', exception: err && err.name, message: String(err && err.stack || err) };
        }
    }
    if ('id' in request) reply.id = request.id;
    return reply;
}

function main() {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    lines.on('line', (line) => {
        if (!line.trim()) return;
        process.stdout.write(stringify(answer(line)) + '\n');
    });
}

if (require.main === module) {
    main();
}

module.exports = { answer, toTagged, stringify };

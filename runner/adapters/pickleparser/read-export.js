#!/usr/bin/env node
/*
 * An example consumer of the corpus export, in JavaScript: it checks the npm
 * unpickler `pickleparser` against `picklespec cases export DIR` with no
 * picklespec code at all -- only the export's files and a JSON parser.
 *
 *     npm ci --prefix runner/adapters/pickleparser
 *     picklespec cases export /tmp/export     # or use the published cases/export
 *     node runner/adapters/pickleparser/read-export.js cases/export [--verbose | --failures]
 *
 * --verbose prints a line per stream (`pass|fail|skip KIND/FILE.pkl: why`),
 * --failures only the failing ones; exit status 2 means the export could
 * not be read, 0 that it was (whatever pickleparser made of it).
 *
 * Theory of operation
 * -------------------
 * manifest.json lists every case and its streams.  For each stream that has
 * a .pkl, its .json says what it must do (cases/README.md, "The export"):
 *
 * - `result` (accept and dump streams): the stream is parsed and what
 *   pickleparser returns is matched against the tagged-JSON value;
 * - `reject`: parsing must throw;
 * - `one-of` (implementation-defined): a throw passes when a rejection is
 *   among the outcomes, a value when it matches one of the results.
 *
 * A stream whose load options pickleparser has no equivalent for
 * (`encoding`, `errors`, `fix_imports`, `sequence`, `allow_globals`) is
 * skipped with that reason; only `buffers` is passed on.  Skips are never
 * counted as passes.  The last line is `N passed, N failed, N skipped`.
 *
 * The match is the comparison pickleparser's values allow (its README and
 * runner/adapters/pickleparser/README.md list what they cannot tell apart):
 *
 * - ints: a JS number must be exactly the decimal value (so ints beyond
 *   2**53 fail when they lost precision), a BigInt must equal it;
 * - floats: the same number (NaN, infinities and -0.0 included); an
 *   integral float matches the equal JS number, as JS has one number type;
 * - str: the same string; bytes and bytearray: a Uint8Array of the same
 *   bytes (the two kinds are not told apart);
 * - list and tuple: an Array, item by item; set and frozenset: a Set of the
 *   same size whose members match one to one; dict: a Map (the parser runs
 *   with unpicklingTypeOfDictionary 'Map'), entries in order;
 * - a global: the stand-in function pickleparser makes, by module and name;
 *   an object: an instance of such a stand-in with the same callable, the
 *   same args, constructed (NEWOBJ, NEWOBJ_EX, INST, OBJ) or called
 *   (REDUCE) as `via` says, and a str-keyed dict state as its own
 *   properties; listitems, dictitems and setitems are never matched (the
 *   stand-ins have no append);
 * - persistent: what the persistentResolver returned for the same pid;
 * - sharing and cycles: a mutable value (list, dict, set, bytearray,
 *   object) with an `id` must be one JS object wherever the JSON refers to
 *   it, and two distinct mutable values must not be one object; equal
 *   tuples and frozensets may or may not be one (in Python too), and a str
 *   or bytes with an `id` (one object held twice in Python) only needs the
 *   same value wherever it is referred to, as JS strings have no identity.
 *
 * A stream only Python 2 wrote (`python2` in its .json) compares a bytes
 * value with the str of the same latin-1 text, as Python 2's str is both.
 */
'use strict';

const fs = require('fs');
const path = require('path');

let Parser;
try {
    Parser = require('pickleparser').Parser;
} catch (err) {
    process.stderr.write('pickleparser is not installed: run npm ci --prefix ' + __dirname + '\n');
    process.exit(2);
}

class PersistentReference {
    constructor(pid) {
        this.pid = pid;
    }
}

class Mismatch extends Error {}

const MUTABLE = new Set(['list', 'dict', 'set', 'bytearray', 'object', 'buffer']);
const UNSUPPORTED_OPTIONS = ['encoding', 'errors', 'fix_imports', 'sequence', 'allow_globals'];

// -- matching a JS value against tagged JSON --------------------------------

/** The defining node of every id in a tagged-JSON tree. */
function definitions(root) {
    const defs = new Map();
    const stack = [root];
    while (stack.length) {
        const node = stack.pop();
        if (Array.isArray(node)) {
            stack.push(...node);
        } else if (node !== null && typeof node === 'object') {
            if (node.type !== 'ref' && typeof node.id === 'string') defs.set(node.id, node);
            stack.push(...Object.values(node));
        }
    }
    return defs;
}

function isInstance(value) {
    if (value === null || typeof value !== 'object') return false;
    const proto = Object.getPrototypeOf(value);
    return proto !== null && Object.prototype.hasOwnProperty.call(proto, '__module__') &&
        Array.isArray(value.args);
}

function isGlobal(value) {
    return typeof value === 'function' && value.prototype !== undefined &&
        Object.prototype.hasOwnProperty.call(value.prototype, '__module__');
}

function latin1(hex) {
    return Buffer.from(hex, 'hex').toString('latin1');
}

/**
 * Matches JS values to tagged nodes, remembering which value each shared
 * node was matched to (both ways), with an undo log so a set member can be
 * tried against each candidate.
 */
class Matcher {
    constructor(root, python2) {
        this.defs = definitions(root);
        this.python2 = python2;
        this.byNode = new Map();
        this.byValue = new Map();
        this.log = [];
    }

    mark() {
        return this.log.length;
    }

    undo(mark) {
        while (this.log.length > mark) {
            const [node, value] = this.log.pop();
            if (node !== null) this.byNode.delete(node);
            if (value !== null) this.byValue.delete(value);
        }
    }

    fail(where, message) {
        throw new Mismatch(where + ': ' + message);
    }

    match(value, node, where) {
        if (node.type === 'ref') {
            const def = this.defs.get(node.id);
            if (def === undefined) this.fail(where, 'ref to an unknown id ' + node.id);
            node = def;
        }
        // Identity is held only for mutable values: Python may or may not
        // share equal tuples and frozensets (the empty tuple is one object).
        const mutable = MUTABLE.has(node.type);
        if (typeof node.id === 'string' && this.byNode.has(node)) {
            if (this.byNode.get(node) === value) return;
            if (mutable) this.fail(where, 'not the same object as the value with id ' + node.id);
        }
        const object = value !== null && typeof value === 'object';
        if (mutable && object && this.byValue.has(value) && this.byValue.get(value) !== node) {
            this.fail(where, 'one JS object where the expected value has two distinct ' + node.type + 's');
        }
        const record = typeof node.id === 'string' && !this.byNode.has(node);
        if (record) this.byNode.set(node, value);
        const own = mutable && object && !this.byValue.has(value);
        if (own) this.byValue.set(value, node);
        if (record || own) this.log.push([record ? node : null, own ? value : null]);
        this.matchContents(value, node, where);
    }

    matchContents(value, node, where) {
        const kind = node.type;
        switch (kind) {
        case 'none':
            if (value !== null) this.fail(where, 'expected None');
            return;
        case 'bool':
            if (value !== (node.value === 'true')) this.fail(where, 'expected ' + node.value);
            return;
        case 'int':
            if (typeof value === 'bigint') {
                if (value !== BigInt(node.value)) this.fail(where, 'expected ' + node.value + ', got ' + value);
            } else if (typeof value !== 'number' || !Number.isInteger(value) || BigInt(value) !== BigInt(node.value)) {
                this.fail(where, 'expected int ' + node.value + ', got ' + describe(value));
            }
            return;
        case 'float':
            this.matchFloat(value, node.value, where);
            return;
        case 'str':
            if (typeof value === 'string' && value === node.value) return;
            if (this.python2 && value instanceof Uint8Array && Buffer.from(value).toString('latin1') === node.value) return;
            this.fail(where, 'expected str ' + JSON.stringify(node.value).slice(0, 60) + ', got ' + describe(value));
            return;
        case 'bytes':
        case 'bytearray':
            if (value instanceof Uint8Array && Buffer.from(value).toString('hex') === node.value) return;
            if (this.python2 && typeof value === 'string' && value === latin1(node.value)) return;
            this.fail(where, 'expected ' + kind + ' ' + node.value.slice(0, 40) + ', got ' + describe(value));
            return;
        case 'list':
        case 'tuple':
            if (!Array.isArray(value)) this.fail(where, 'expected a ' + kind + ', got ' + describe(value));
            if (value.length !== node.items.length) this.fail(where, 'expected ' + node.items.length + ' items, got ' + value.length);
            node.items.forEach((item, i) => this.match(value[i], item, where + '[' + i + ']'));
            return;
        case 'set':
        case 'frozenset':
            this.matchSet(value, node, where);
            return;
        case 'dict': {
            if (!(value instanceof Map)) this.fail(where, 'expected a dict, got ' + describe(value));
            if (value.size !== node.items.length) this.fail(where, 'expected ' + node.items.length + ' entries, got ' + value.size);
            let i = 0;
            for (const [k, v] of value) {
                this.match(k, node.items[i][0], where + '.key' + i);
                this.match(v, node.items[i][1], where + '[' + i + ']');
                i += 1;
            }
            return;
        }
        case 'global':
            if (!isGlobal(value) || value.prototype.__module__ !== node.module || value.prototype.__name__ !== node.name) {
                this.fail(where, 'expected the global ' + node.module + '.' + node.name + ', got ' + describe(value));
            }
            return;
        case 'object':
            this.matchObject(value, node, where);
            return;
        case 'persistent':
            if (!(value instanceof PersistentReference)) this.fail(where, 'expected a persistent id, got ' + describe(value));
            this.match(value.pid, node.pid, where + '.pid');
            return;
        case 'buffer':
            if (!(value instanceof Uint8Array) || node.data === undefined ||
                    Buffer.from(value).toString('hex') !== node.data) {
                this.fail(where, 'expected a buffer, got ' + describe(value));
            }
            return;
        case 'complex':
            this.fail(where, 'expected a complex; JavaScript has none (got ' + describe(value) + ')');
            return;
        default:
            this.fail(where, 'unknown tagged type ' + kind);
        }
    }

    matchFloat(value, text, where) {
        if (typeof value !== 'number') this.fail(where, 'expected float ' + text + ', got ' + describe(value));
        const expected = text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
        if (!Object.is(value, expected)) this.fail(where, 'expected float ' + text + ', got ' + describe(value));
    }

    matchSet(value, node, where) {
        if (!(value instanceof Set)) this.fail(where, 'expected a ' + node.type + ', got ' + describe(value));
        if (value.size !== node.items.length) this.fail(where, 'expected ' + node.items.length + ' members, got ' + value.size);
        const left = [...value];
        node.items.forEach((item, i) => {
            for (let j = 0; j < left.length; j++) {
                const mark = this.mark();
                try {
                    this.match(left[j], item, where + '{' + i + '}');
                    left.splice(j, 1);
                    return;
                } catch (err) {
                    if (!(err instanceof Mismatch)) throw err;
                    this.undo(mark);
                }
            }
            this.fail(where, 'no member matches the expected member ' + i);
        });
    }

    matchObject(value, node, where) {
        if (!isInstance(value)) this.fail(where, 'expected an object, got ' + describe(value));
        const proto = Object.getPrototypeOf(value);
        const callable = node.callable.type === 'ref' ? this.defs.get(node.callable.id) : node.callable;
        if (!callable || callable.type !== 'global') this.fail(where, 'an object whose callable is not a global');
        if (proto.__module__ !== callable.module || proto.__name__ !== callable.name) {
            this.fail(where, 'expected an object of ' + callable.module + '.' + callable.name + ', got one of ' +
                      proto.__module__ + '.' + proto.__name__);
        }
        const constructed = Object.prototype.hasOwnProperty.call(proto, '__setnewargs_ex__');
        if (constructed !== (node.via !== 'reduce')) {
            this.fail(where, 'expected via ' + node.via + ', got ' + (constructed ? 'a constructed object' : 'a call'));
        }
        this.match(value.args, node.args, where + '.args');
        if (node.kwargs !== undefined) {
            if (!Array.isArray(value.kwargs)) this.fail(where, 'expected keyword arguments');
            this.match(value.kwargs[0], node.kwargs, where + '.kwargs');
        }
        for (const field of ['listitems', 'dictitems', 'setitems']) {
            if (node[field] !== undefined) this.fail(where, 'expected ' + field + ': the stand-in has none');
        }
        const names = Object.keys(value);
        let state = node.state;
        if (state !== undefined && state.type === 'ref') state = this.defs.get(state.id);
        if (state === undefined || state.type === 'none') {
            if (names.length) this.fail(where, 'expected no state, got properties ' + names.join(', '));
            return;
        }
        // a key held elsewhere too is a ref to its str (tagged JSON gives a
        // str held twice an id)
        const key = (k) => (k.type === 'ref' ? this.defs.get(k.id) : k);
        if (state.type !== 'dict' || !state.items.every(([k]) => key(k) !== undefined && key(k).type === 'str')) {
            this.fail(where, 'expected a ' + state.type + ' state, which BUILD\'s Object.assign cannot keep');
        }
        if (names.length !== state.items.length) {
            this.fail(where, 'expected ' + state.items.length + ' attributes, got ' + names.length);
        }
        for (const [k, v] of state.items) {
            const name = key(k).value;
            if (!Object.prototype.hasOwnProperty.call(value, name)) this.fail(where, 'no attribute ' + name);
            this.match(value[name], v, where + '.' + name);
        }
    }
}

function describe(value) {
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    if (typeof value === 'number' || typeof value === 'bigint') return typeof value + ' ' + String(value);
    if (typeof value === 'string') return 'string ' + JSON.stringify(value).slice(0, 60);
    if (Array.isArray(value)) return 'an Array of ' + value.length;
    if (value instanceof Uint8Array) return 'a Uint8Array ' + Buffer.from(value).toString('hex').slice(0, 40);
    if (isGlobal(value)) return 'the global ' + value.prototype.__module__ + '.' + value.prototype.__name__;
    if (isInstance(value)) {
        const proto = Object.getPrototypeOf(value);
        return 'an object of ' + proto.__module__ + '.' + proto.__name__;
    }
    if (typeof value === 'object' && value.constructor) return 'a ' + value.constructor.name;
    return typeof value;
}

function matches(value, tagged, python2) {
    try {
        new Matcher(tagged, python2).match(value, tagged, '$');
        return null;
    } catch (err) {
        if (err instanceof Mismatch) return err.message;
        return 'the comparison failed: ' + err.message;
    }
}

// -- running the export -----------------------------------------------------

function parse(data, buffers) {
    const parser = new Parser({
        unpicklingTypeOfDictionary: 'Map',
        unpicklingTypeOfSet: 'Set',
        persistentResolver: { resolve: (pid) => new PersistentReference(pid) },
        buffers: buffers === undefined ? undefined : buffers[Symbol.iterator](),
    });
    return parser.parse(data);
}

/** [verdict, reason] for one stream: 'pass', 'fail' or 'skip'. */
function judge(doc, data) {
    const options = doc.load_options || {};
    for (const name of Object.keys(options)) {
        if (UNSUPPORTED_OPTIONS.includes(name)) return ['skip', 'pickleparser has no ' + name + ' option'];
    }
    let buffers;
    if (options.buffers) {
        buffers = options.buffers.items.map((b) => Uint8Array.from(Buffer.from(b.value, 'hex')));
    }
    let value;
    let error = null;
    try {
        value = parse(data, buffers);
    } catch (err) {
        error = (err && err.name ? err.name : 'Error') + ': ' + (err && err.message ? err.message : String(err));
    }
    const expect = doc.expect;
    const python2 = doc.python2 === true;
    if (expect.outcome === 'result') {
        if (error !== null) return ['fail', 'threw ' + error];
        const why = matches(value, expect.result, python2);
        return why === null ? ['pass', ''] : ['fail', why];
    }
    if (expect.outcome === 'reject') {
        return error !== null ? ['pass', ''] : ['fail', 'accepted a stream that must be rejected (' + describe(value) + ')'];
    }
    if (expect.outcome === 'one-of') {
        if (error !== null) {
            return expect.outcomes.some((o) => o.reject !== undefined) ? ['pass', 'rejected'] :
                ['fail', 'threw ' + error + '; every allowed outcome is a result'];
        }
        const reasons = [];
        for (const outcome of expect.outcomes) {
            if (outcome.result === undefined) continue;
            const why = matches(value, outcome.result, python2);
            if (why === null) return ['pass', 'a result'];
            reasons.push(why);
        }
        return ['fail', reasons.length ? 'no allowed result matches: ' + reasons[0] : 'accepted; every allowed outcome is a rejection'];
    }
    return ['skip', 'no loadable stream (' + expect.outcome + ')'];
}

function main(argv) {
    const verbose = argv.includes('--verbose');
    const args = argv.filter((a) => !a.startsWith('--'));
    if (args.length !== 1) {
        process.stderr.write('usage: node read-export.js EXPORT_DIR [--verbose | --failures]\n');
        return 2;
    }
    const root = args[0];
    let manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
    } catch (err) {
        process.stderr.write('cannot read ' + path.join(root, 'manifest.json') + ': ' + err.message + '\n');
        return 2;
    }
    if (manifest === null || manifest.format !== 'picklespec-export/1' || !Array.isArray(manifest.cases)) {
        process.stderr.write(path.join(root, 'manifest.json') + ': not a picklespec-export/1 manifest\n');
        return 2;
    }
    const counts = { pass: 0, fail: 0, skip: 0 };
    const cases = new Set();
    for (const entry of manifest.cases) {
        for (const stream of entry.streams) {
            if (stream.pkl === null) continue; // fails: true / loads: false: recorded, nothing to load
            const folder = path.join(root, entry.kind);
            let doc;
            let data;
            try {
                doc = JSON.parse(fs.readFileSync(path.join(folder, stream.json), 'utf8'));
                data = Uint8Array.from(fs.readFileSync(path.join(folder, stream.pkl)));
            } catch (err) {
                process.stderr.write('cannot read the stream ' + entry.kind + '/' + stream.pkl + ' of ' + entry.id +
                                     ': ' + err.message + '\n');
                return 2;
            }
            const [verdict, reason] = judge(doc, data);
            counts[verdict] += 1;
            cases.add(entry.id);
            if (verbose || verdict === 'fail' && argv.includes('--failures')) {
                process.stdout.write(verdict + ' ' + entry.kind + '/' + stream.pkl + (reason ? ': ' + reason : '') + '\n');
            }
        }
    }
    process.stdout.write(cases.size + ' cases, ' + (counts.pass + counts.fail + counts.skip) + ' streams read\n');
    process.stdout.write(counts.pass + ' passed, ' + counts.fail + ' failed, ' + counts.skip + ' skipped\n');
    return 0;
}

process.exitCode = main(process.argv.slice(2));

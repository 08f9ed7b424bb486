#!/usr/bin/env node
/*
 * unpickle (npm) as a load target: unpickle(Buffer).  It implements 18
 * opcodes, the ones its author met in Django sessions; the only error it
 * throws itself is Error('Unknown opcode'), and reading past the end of the
 * Buffer throws Node's RangeError.
 */
'use strict';
const kit = require('../jskit');

const OPCODES = ['PROTO', 'FRAME', 'EMPTY_LIST', 'EMPTY_DICT', 'MEMOIZE', 'BINGET', 'MARK', 'NONE',
    'BININT', 'BINFLOAT', 'SHORT_BINUNICODE', 'BINUNICODE', 'APPEND', 'APPENDS', 'SETITEM', 'SETITEMS',
    'TUPLE2', 'STOP'];

kit.main(() => {
    const unpickle = require('unpickle');
    const version = require('unpickle/package.json').version;
    return {
        hello: {
            name: 'unpickle', implementation: 'unpickle', version: version, kind: 'js',
            library: 'unpickle ' + version + ' (npm) on Node.js ' + process.version,
            load_protocols: [0, 1, 2, 3, 4], opcodes: OPCODES,
            model: ['no-tuple', 'double-numbers', 'str-keys'],
            clean_exceptions: ['Error', 'RangeError'],
        },
        load: (data) => unpickle(data),
    };
});

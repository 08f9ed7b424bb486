#!/usr/bin/env node
/*
 * jpickle (npm) as a load target: jpickle.loads(binary string).  Its own
 * errors are thrown strings (a read past the end is Node's RangeError); globals other than its two emulated ones
 * (datetime.datetime, django.utils.timezone.UTC) are refused, as its users
 * get it (nothing is registered in jpickle.emulated).
 */
'use strict';
const kit = require('../jskit');

// The opcodes its load() has a case for; NEWOBJ, INST, PERSID and protocol 3+ are not.
const OPCODES = ['APPEND', 'APPENDS', 'BINFLOAT', 'BINGET', 'BININT', 'BININT1', 'BININT2', 'BINPUT',
    'BINSTRING', 'BINUNICODE', 'BUILD', 'DICT', 'DUP', 'EMPTY_DICT', 'EMPTY_LIST', 'EMPTY_TUPLE', 'FLOAT',
    'GET', 'GLOBAL', 'INT', 'LIST', 'LONG', 'LONG1', 'LONG4', 'LONG_BINGET', 'LONG_BINPUT', 'MARK',
    'NEWFALSE', 'NEWTRUE', 'NONE', 'OBJ', 'POP', 'POP_MARK', 'PROTO', 'PUT', 'REDUCE', 'SETITEM',
    'SETITEMS', 'SHORT_BINSTRING', 'STOP', 'STRING', 'TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'UNICODE'];

kit.main(() => {
    const jpickle = require('jpickle');
    const version = require('jpickle/package.json').version;
    return {
        hello: {
            name: 'jpickle', implementation: 'jpickle', version: version, kind: 'js',
            library: 'jpickle ' + version + ' (npm) on Node.js ' + process.version,
            load_protocols: [0, 1, 2], opcodes: OPCODES,
            // tuples are arrays, numbers are doubles, dicts are objects (string keys)
            model: ['no-tuple', 'double-numbers', 'str-keys'],
            clean_exceptions: ['String', 'RangeError'],
            // the only globals it builds: jpickle.emulated's (its GLOBAL refuses any other)
            allowed_globals: ['datetime:datetime', 'django.utils.timezone:UTC'],
        },
        load: (data) => jpickle.loads(data.toString('latin1')),
    };
});

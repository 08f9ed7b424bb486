#!/usr/bin/env node
/*
 * A template for an adapter in JavaScript (copy this folder, then replace
 * `example` with the library's own call and the profile with the truth).
 *
 * runner/adapters/jskit.js does the protocol (framing, ids, tagged JSON,
 * thrown values -> rejected answers); an adapter only gives its profile and
 * its functions.  `example` is a complete, tiny unpickler, so that the
 * template runs as it is: it reads exactly the protocol 2 pickle of an int
 * from 0 to 255 (PROTO 2, BININT1 n, STOP) and says so in its profile --
 * every stream using another opcode is `unsupported` for it, not a failure.
 * Run it as a target with: picklespec run --target 'cmd:node runner/adapters/template-js/adapter.js'
 */
'use strict';
const kit = require('../jskit');

/** The library being adapted: replace with require('your-library'). */
const example = {
    loads(buffer) {
        if (buffer.length !== 5 || buffer[0] !== 0x80 || buffer[2] !== 0x4b || buffer[4] !== 0x2e) {
            throw new Error('not PROTO, BININT1, STOP');
        }
        if (buffer[1] !== 2) throw new Error('unsupported protocol ' + buffer[1]);
        return buffer[3];
    },
};

kit.main(() => ({
    hello: {
        name: 'template-js', implementation: 'template-js', version: '1.0.0', kind: 'js',
        load_protocols: [2], opcodes: ['PROTO', 'BININT1', 'STOP'], model: [],
        clean_exceptions: ['Error'],
    },
    load: (buffer, options) => example.loads(buffer),
}));

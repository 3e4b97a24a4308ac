// hello.js - hello-world HTTP app for the cluster benchmarks (see common.js).
'use strict';
require('./common')(() => 'hello world\n');

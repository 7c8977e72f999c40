// uWebSockets.js as published on npm by @trufflesuite/uws-js-unofficial. The package silently
// falls back to a pure-Node emulation (on `ws`) when its prebuilt binary does not load on this
// Node ABI; a benchmark of that fallback would measure `ws`, not uWebSockets.js, so refuse it.
'use strict';
const uws = require('@trufflesuite/uws-js-unofficial');

if (typeof uws.getParts !== 'function') {
  console.error(
    `the uWebSockets.js binary did not load for Node ${process.version} ` +
      `(ABI ${process.versions.modules}); refusing the ws fallback`,
  );
  process.exit(1);
}

module.exports = uws;

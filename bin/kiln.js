#!/usr/bin/env node
// The kiln CLI, compiled by `npm run build` (npm start and npm test build it too).
require('../dist/cli/kiln.js');

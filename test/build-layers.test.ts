// Which ids a failed build's cleanup removes, from a recorded classic-builder output.
import t from 'tap';
import { committedLayers } from '../src/drivers/docker/build-layers.js';

t.test('only layers committed by this build: not the FROM base, not a cached layer', async (t) => {
  const recorded = [
    'Step 1/5 : FROM node:20-alpine',
    ' ---> 1a2b3c4d5e6f',
    'Step 2/5 : WORKDIR /app',
    ' ---> Using cache',
    ' ---> 2b3c4d5e6f70',
    'Step 3/5 : COPY package.json /app/',
    ' ---> 3c4d5e6f7081',
    'Step 4/5 : RUN npm ci',
    ' ---> Running in 99887766aabb',
    'Removing intermediate container 99887766aabb',
    ' ---> 4d5e6f708192',
    'Step 5/5 : COPY missing /x',
  ];
  t.same(committedLayers(recorded), ['3c4d5e6f7081', '4d5e6f708192']);
  t.same(committedLayers(['Step 1/2 : from scratch', ' ---> aaaaaaaaaaaa']), [], 'FROM in any case');
});

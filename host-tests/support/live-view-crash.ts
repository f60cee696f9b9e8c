// Run as a child by host-tests/app/command-line.test.ts: the live view in screen mode draws a few
// frames, then an uncaught exception kills the process, as a bug in `npm start` would.
import { LiveView } from '../../host/live-view';

new LiveView('screen', 'crash test', 0, 1000);
setTimeout(() => {
  throw new Error('boom: an uncaught exception while the live view is on screen');
}, 700);

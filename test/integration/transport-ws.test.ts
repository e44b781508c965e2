/** The core client suite over the `ws` transport (Node's default). */
import { coreSuite } from './core-suite.js';

coreSuite('ws');

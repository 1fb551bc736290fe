/** The real-run suite again with every C compiler hidden from PATH: the Python executor must pass it all. */
import { realSuite } from './suite.js';

realSuite('python', true);

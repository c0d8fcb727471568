// Moved to src/ (the shipped `kvstore experiment` uses it); kept here so tests import it as before.
export * from '../../src/experiment/client-link.js';

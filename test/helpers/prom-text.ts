// Moved to src/ (the shipped `kvstore experiment` parses every scrape with it); kept here so tests import it as before.
export * from '../../src/metrics/prom-text-parser.js';

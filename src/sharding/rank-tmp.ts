// TEMPORARY
import { endpointKey, parseEndpoint } from '../config/address.js';
export function rankAddresses(a: readonly string[]): string[] { return [...a].sort((x, y) => (endpointKey(parseEndpoint(x)) < endpointKey(parseEndpoint(y)) ? -1 : 1)); }

/** The embedded Polygon.io WebSocket simulator: the server tests and offline development use. */
export { startSimulator, DEFAULT_MAX_CONNECTIONS_MESSAGE } from './server.js';
export { GENERATORS, generatorFor } from './generators.js';
export { Universe } from './universe.js';
export type { ExtraTickers, SymbolState } from './universe.js';
export type { FuturesContract, FuturesExchange, FuturesProduct } from './futures/contracts.js';
export type { GenContext, Generator } from './aggregates.js';
export type { RestFault } from './rest/rest-faults.js';
export type {
  ReplayOptions,
  SimConnection,
  Simulator,
  SimulatorEvents,
  SimulatorFaults,
  SimulatorOptions,
} from './simulator-types.js';

export { startConsoleServer, ConsoleExposureError, type ConsoleServer, type ConsoleServerOptions } from './server.js';

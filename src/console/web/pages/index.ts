/** The console's pages, in nav order: a new page is one module and one line here. */
import type { Page } from '../page.js';
import { fleetPage } from './fleet.js';
import { routingPage } from './routing.js';
import { explainPage } from './explain.js';
import { queriesPage } from './queries.js';
import { plotsPage } from './plots.js';
import { auditPage } from './audit.js';
import { queuePage } from './queue.js';

export const PAGES: readonly Page[] = [fleetPage, routingPage, explainPage, queriesPage, queuePage, auditPage, plotsPage];

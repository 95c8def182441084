import { render } from 'preact';
import { App } from './app';

/* The console's only entry point; index.html loads it as a module from the same origin (CSP). */
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}

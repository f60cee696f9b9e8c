// esbuild bundles imported stylesheets into app.css; to TypeScript they are side-effect modules.
declare module '*.css';

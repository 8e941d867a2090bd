// Asset imports used to embed files into the compiled binary (toolchain.md §5).
declare module "*.wasm" { const path: string; export default path; }
declare module "*.data" { const path: string; export default path; }
declare module "*.tar.gz" { const path: string; export default path; }
declare module "*.sql" { const text: string; export default text; }
declare module "*.css" { const text: string; export default text; }
declare module "*.svg" { const text: string; export default text; }

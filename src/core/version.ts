// deployer's own version: `deployer --version`, and written into every test record.
export const DEPLOYER_VERSION = '0.1.0';

// Validates XML against the Jenkins JUnit schema (fixtures/test-image/junit-10.xsd, MIT, from
// jenkinsci/xunit-plugin) with xmllint (libxml2-utils; scripts/services.sh installs it).
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const JUNIT_XSD = fileURLToPath(new URL('../../../fixtures/test-image/junit-10.xsd', import.meta.url));

export async function xsdProblems(xml: string): Promise<string> {
  const r = await execa('xmllint', ['--noout', '--schema', JUNIT_XSD, '-'], { input: xml, reject: false });
  return r.exitCode === 0 ? '' : r.stderr;
}

import { CUSTOM_DOMAIN, synthesise } from './synth';

// Asset hashes are normalised by test/support/asset-hash-serializer.ts, so these change only with the infrastructure.
test('default configuration (with the real bundling of Lambdas and the viewer)', () => {
  expect(synthesise({}, { bundle: true }).template.toJSON()).toMatchSnapshot();
});

test('custom domain, MQTT TLS listener and restricted CIDRs', () => {
  expect(synthesise(CUSTOM_DOMAIN).template.toJSON()).toMatchSnapshot();
});

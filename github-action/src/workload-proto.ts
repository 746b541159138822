import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';

/**
 * The wire contract of the SPIFFE Workload API: spiffe-issuer/api/src/main/proto/workload.proto (package-less, so
 * clients call `/SpiffeWorkloadAPI/<Method>`) in protobuf.js JSON form, with google.protobuf.Struct as protobuf.js
 * defines it. A JSON copy because the bundle cannot read a .proto at run time; a test loads the .proto itself and
 * fails when the two differ.
 */
export const WORKLOAD_PROTO_JSON = {
  nested: {
    SpiffeWorkloadAPI: {
      methods: {
        FetchJWTSVID: { requestType: 'JWTSVIDRequest', responseType: 'JWTSVIDResponse' },
        FetchJWTBundles: { requestType: 'JWTBundlesRequest', responseType: 'JWTBundlesResponse', responseStream: true },
        ValidateJWTSVID: { requestType: 'ValidateJWTSVIDRequest', responseType: 'ValidateJWTSVIDResponse' },
        FetchX509SVID: { requestType: 'X509SVIDRequest', responseType: 'X509SVIDResponse', responseStream: true },
        FetchX509Bundles: { requestType: 'X509BundlesRequest', responseType: 'X509BundlesResponse', responseStream: true },
      },
    },
    X509SVIDRequest: { fields: {} },
    X509SVIDResponse: {
      fields: {
        svids: { rule: 'repeated', type: 'X509SVID', id: 1 },
        crl: { rule: 'repeated', type: 'bytes', id: 2 },
        federated_bundles: { keyType: 'string', type: 'bytes', id: 3 },
      },
    },
    X509SVID: {
      fields: {
        spiffe_id: { type: 'string', id: 1 },
        x509_svid: { type: 'bytes', id: 2 },
        x509_svid_key: { type: 'bytes', id: 3 },
        bundle: { type: 'bytes', id: 4 },
        hint: { type: 'string', id: 5 },
      },
    },
    X509BundlesRequest: { fields: {} },
    X509BundlesResponse: {
      fields: {
        crl: { rule: 'repeated', type: 'bytes', id: 1 },
        bundles: { keyType: 'string', type: 'bytes', id: 2 },
      },
    },
    JWTSVIDRequest: {
      fields: {
        audience: { rule: 'repeated', type: 'string', id: 1 },
        spiffe_id: { type: 'string', id: 2 },
      },
    },
    JWTSVIDResponse: { fields: { svids: { rule: 'repeated', type: 'JWTSVID', id: 1 } } },
    JWTSVID: {
      fields: {
        spiffe_id: { type: 'string', id: 1 },
        svid: { type: 'string', id: 2 },
        hint: { type: 'string', id: 3 },
      },
    },
    JWTBundlesRequest: { fields: {} },
    JWTBundlesResponse: { fields: { bundles: { keyType: 'string', type: 'bytes', id: 1 } } },
    ValidateJWTSVIDRequest: {
      fields: {
        audience: { type: 'string', id: 1 },
        svid: { type: 'string', id: 2 },
      },
    },
    ValidateJWTSVIDResponse: {
      fields: {
        spiffe_id: { type: 'string', id: 1 },
        claims: { type: 'google.protobuf.Struct', id: 2 },
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } } },
            Value: {
              oneofs: { kind: { oneof: ['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'] } },
              fields: {
                nullValue: { type: 'NullValue', id: 1 },
                numberValue: { type: 'double', id: 2 },
                stringValue: { type: 'string', id: 3 },
                boolValue: { type: 'bool', id: 4 },
                structValue: { type: 'Struct', id: 5 },
                listValue: { type: 'ListValue', id: 6 },
              },
            },
            NullValue: { values: { NULL_VALUE: 0 } },
            ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
          },
        },
      },
    },
  },
};

/** Field names as the .proto spells them (snake_case); absent fields decode to their defaults. */
export const WORKLOAD_PROTO_OPTIONS: Options = { keepCase: true, defaults: true, enums: String, oneofs: true };

/** The `SpiffeWorkloadAPI` service definition for a grpc-js server. */
export function workloadServiceDefinition(): ServiceDefinition {
  const api = loadPackageDefinition(fromJSON(WORKLOAD_PROTO_JSON as Parameters<typeof fromJSON>[0], WORKLOAD_PROTO_OPTIONS)) as unknown as {
    SpiffeWorkloadAPI: { service: ServiceDefinition };
  };
  return api.SpiffeWorkloadAPI.service;
}

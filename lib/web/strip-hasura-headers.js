// CloudFront Function (cloudfront-js-2.0), viewer request, /v1/graphql* behaviour only.
// Removes every x-hasura-* header a viewer sends (x-hasura-admin-secret, x-hasura-role, ...), so requests from the
// internet always reach Hasura as its anonymous role: the admin secret works only from inside the VPC.
// CloudFront hands functions header names in lower case.
function handler(event) {
  var request = event.request;
  var headers = request.headers;
  for (var name in headers) {
    if (name.indexOf('x-hasura-') === 0) {
      delete headers[name];
    }
  }
  return request;
}

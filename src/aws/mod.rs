//! The AWS adapter: the only code that touches `aws-sdk-*` and `aws-smithy-*` types. The
//! domain sees ristretto's own types and the JSON documents of the AWS CLI.

pub mod codec;
pub mod model;
pub mod sdk;

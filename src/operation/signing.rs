//! What makes a saved plan the one that was reviewed (ARCHITECTURE.md §4, plan-file invariants
//! 6 and 7), beyond its digest (which anyone who can write the file can recompute):
//!
//! - `apply --expect-digest HEX`: the plan's digest must be the one a reviewer saw;
//! - `plan_signing: {kms_key_id}`: `plan -o` signs the digest with the KMS key, and `apply`
//!   verifies that signature with the config's key before it reads the plan any further.
//!
//! Both refuse with exit 4. Must not: print, or decide which key (the config does).

use crate::aws::kms::PlanSigner;
use crate::config::PlanSigningConfig;
use crate::error::Error;
use crate::plan::{Plan, PlanSignature};

/// What is signed: the digest, with a prefix so that a signature of this key over anything
/// else cannot pass for a plan's.
fn signed_message(plan: &Plan) -> Vec<u8> {
    format!("ristretto-plan:sha256:{}", plan.digest).into_bytes()
}

/// Signs a sealed plan with the config's key (one KMS Sign call).
pub(crate) async fn sign_plan(
    plan: Plan,
    signer: &impl PlanSigner,
    signing: &PlanSigningConfig,
) -> Result<Plan, Error> {
    let signature = signer
        .sign(
            &signing.kms_key_id,
            &signing.signing_algorithm,
            &signed_message(&plan),
        )
        .await?;
    Ok(Plan {
        signature: Some(PlanSignature {
            kms_key_id: signature.key_arn,
            signing_algorithm: signing.signing_algorithm.clone(),
            signature: signature.base64,
        }),
        ..plan
    })
}

/// Refuses a plan whose digest is not `expected` (all 64 hex digits, lower case).
pub(crate) fn check_expected_digest(plan: &Plan, expected: &str) -> Result<(), Error> {
    if plan.digest.eq_ignore_ascii_case(expected) {
        return Ok(());
    }
    Err(Error::PlanRefused {
        message: format!(
            "the plan's digest is {}, not the reviewed {expected}: this is not the plan that was \
             reviewed",
            plan.digest
        ),
        hint: Some(
            "apply the plan file whose digest the review showed, or plan again and have that \
             plan reviewed"
                .to_owned(),
        ),
    })
}

/// With `plan_signing` configured, refuses a plan that is not signed, or whose signature does
/// not verify with the config's key (one KMS Verify call). Without it, nothing is checked.
pub(crate) async fn check_plan_signature(
    plan: &Plan,
    signer: &impl PlanSigner,
    signing: Option<&PlanSigningConfig>,
) -> Result<(), Error> {
    let Some(signing) = signing else {
        return Ok(());
    };
    let refused = |message: String| Error::PlanRefused {
        message,
        hint: Some(format!(
            "apply only plans made by `ristretto plan -o` with this config (plan_signing signs \
             them with {}); plan again if this one was changed",
            signing.kms_key_id
        )),
    };
    let Some(signature) = &plan.signature else {
        return Err(refused(format!(
            "the plan is not signed, and this config requires plans signed with KMS key {}",
            signing.kms_key_id
        )));
    };
    let valid = signer
        .verify(
            &signing.kms_key_id,
            &signing.signing_algorithm,
            &signed_message(plan),
            &signature.signature,
        )
        .await?;
    if valid {
        Ok(())
    } else {
        Err(refused(format!(
            "the plan's signature does not verify with KMS key {} ({}): the plan was changed \
             after it was signed, or signed with another key",
            signing.kms_key_id, signing.signing_algorithm
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::aws::AwsError;
    use crate::aws::kms::Signature;
    use crate::exit_code;
    use crate::plan::{FORMAT_VERSION, file};

    /// A "KMS" whose signature is the message reversed, tagged with the key, counting calls.
    #[derive(Default)]
    struct FakeKms(Mutex<Vec<&'static str>>);

    impl PlanSigner for FakeKms {
        async fn sign(
            &self,
            key_id: &str,
            _algorithm: &str,
            message: &[u8],
        ) -> Result<Signature, AwsError> {
            self.0.lock().unwrap().push("Sign");
            let mut reversed = message.to_vec();
            reversed.reverse();
            Ok(Signature {
                key_arn: format!("arn:aws:kms:r:1:key/{key_id}"),
                base64: format!("{key_id}:{}", String::from_utf8(reversed).unwrap()),
            })
        }

        async fn verify(
            &self,
            key_id: &str,
            _algorithm: &str,
            message: &[u8],
            signature: &str,
        ) -> Result<bool, AwsError> {
            self.0.lock().unwrap().push("Verify");
            let mut reversed = message.to_vec();
            reversed.reverse();
            Ok(signature == format!("{key_id}:{}", String::from_utf8(reversed).unwrap()))
        }
    }

    fn plan(environment: &str) -> Plan {
        file::seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "7d3c0b8e-0000-4000-8000-000000000000".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            ristretto_version: "0.1.0".into(),
            environment: Some(environment.into()),
            services: Vec::new(),
            secret_patterns: Vec::new(),
            policy: None,
            digest: String::new(),
            signature: None,
        })
    }

    fn signing(key: &str) -> PlanSigningConfig {
        PlanSigningConfig {
            kms_key_id: key.into(),
            signing_algorithm: "ECDSA_SHA_256".into(),
        }
    }

    #[tokio::test]
    async fn a_signed_plan_verifies_and_keeps_its_digest() {
        let kms = FakeKms::default();
        let unsigned = plan("prod");
        let signed = sign_plan(unsigned.clone(), &kms, &signing("plans"))
            .await
            .unwrap();
        assert_eq!(
            signed.digest, unsigned.digest,
            "the signature is not digested"
        );
        assert_eq!(file::digest(&signed), signed.digest);
        let signature = signed.signature.as_ref().unwrap();
        assert_eq!(signature.kms_key_id, "arn:aws:kms:r:1:key/plans");
        check_plan_signature(&signed, &kms, Some(&signing("plans")))
            .await
            .unwrap();
        assert_eq!(*kms.0.lock().unwrap(), ["Sign", "Verify"]);
    }

    /// The attack of issue 16 §4: edit the plan and recompute its digest. The digest checks
    /// out, the signature does not.
    #[tokio::test]
    async fn a_changed_unsigned_or_otherwise_signed_plan_is_refused_with_exit_4() {
        let kms = FakeKms::default();
        let signed = sign_plan(plan("prod"), &kms, &signing("plans"))
            .await
            .unwrap();
        let forged = Plan {
            environment: Some("forged".into()),
            ..signed.clone()
        };
        let forged = Plan {
            digest: file::digest(&forged),
            ..forged
        };
        let other_key = sign_plan(plan("prod"), &kms, &signing("someone-elses"))
            .await
            .unwrap();
        for (plan, expected) in [
            (&forged, "does not verify with KMS key plans"),
            (&other_key, "does not verify with KMS key plans"),
            (&plan("prod"), "the plan is not signed"),
        ] {
            let error = check_plan_signature(plan, &kms, Some(&signing("plans")))
                .await
                .unwrap_err();
            assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED);
            assert!(error.to_string().contains(expected), "{error}");
        }
        // Without plan_signing nothing is checked, and KMS is not called.
        let calls = kms.0.lock().unwrap().len();
        check_plan_signature(&forged, &kms, None).await.unwrap();
        assert_eq!(kms.0.lock().unwrap().len(), calls);
    }

    #[test]
    fn only_the_reviewed_digest_passes() {
        let plan = plan("prod");
        check_expected_digest(&plan, &plan.digest.to_uppercase()).unwrap();
        let error = check_expected_digest(&plan, &"0".repeat(64)).unwrap_err();
        assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED);
        assert!(
            error.to_string().contains("not the reviewed 0000"),
            "{error}"
        );
    }
}

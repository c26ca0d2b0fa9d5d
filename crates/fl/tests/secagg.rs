//! SecAgg round behaviour: exact sums under dropouts, aborts, refusals and rejected messages.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use medshare_fl::fixed::ring_sum;
use medshare_fl::secagg::aggregator::{AbortReason, Aggregator, Event, Rejection};
use medshare_fl::secagg::messages::{Body, ShareDelivery, SignedMessage, UnmaskRequest};
use medshare_fl::secagg::participant::{Participant, ParticipantError};
use medshare_fl::secagg::simulation::{Dropouts, contributors, run_round};
use medshare_fl::secagg::{ParticipantId, Phase, PhaseDeadlines, RoundConfig, RoundId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const DIMS: usize = 6;

struct Setup {
    config: Arc<RoundConfig>,
    identities: Vec<SigningKey>,
    inputs: Vec<Vec<u64>>,
    rng: ChaCha20Rng,
}

fn setup(n: usize, threshold: usize, round: u64, seed: u64) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let identities: Vec<SigningKey> = (0..n).map(|_| SigningKey::generate(&mut rng)).collect();
    let roster = identities.iter().map(SigningKey::verifying_key).collect();
    let round = RoundId {
        task: [7; 32],
        round,
    };
    let config = RoundConfig::new(
        round,
        threshold,
        roster,
        DIMS,
        PhaseDeadlines::every(100, 2),
    )
    .unwrap();
    // Full-range values: the sum must wrap exactly like the plain ring sum.
    let inputs = (0..n)
        .map(|_| (0..DIMS).map(|_| rng.r#gen::<u64>()).collect())
        .collect();
    Setup {
        config: Arc::new(config),
        identities,
        inputs,
        rng,
    }
}

fn expected_sum(setup: &Setup, dropouts: &Dropouts) -> Vec<u64> {
    let survivors = contributors(setup.inputs.len(), dropouts);
    ring_sum(
        survivors
            .iter()
            .map(|&i| setup.inputs[i as usize].as_slice()),
        DIMS,
    )
}

fn run(setup: &mut Setup, dropouts: &Dropouts) -> Result<Vec<u64>, AbortReason> {
    run_round(
        setup.config.clone(),
        &setup.identities,
        &setup.inputs,
        dropouts,
        &mut setup.rng,
    )
    .unwrap()
    .outcome
}

#[test]
fn aggregate_equals_the_plain_sum_without_dropouts() {
    let mut setup = setup(7, 5, 0, 1);
    let sum = run(&mut setup, &Dropouts::none()).unwrap();
    assert_eq!(sum, expected_sum(&setup, &Dropouts::none()));
    assert_ne!(sum, vec![0; DIMS]);
}

#[test]
fn aggregate_equals_the_survivors_sum_with_dropouts_at_every_phase() {
    for phase in [
        Phase::AdvertiseKeys,
        Phase::ShareKeys,
        Phase::MaskedInput,
        Phase::Unmasking,
    ] {
        let mut setup = setup(8, 5, 0, 2);
        let dropouts = Dropouts::at(phase, [1, 4, 6]);
        let sum = run(&mut setup, &dropouts).unwrap();
        assert_eq!(
            sum,
            expected_sum(&setup, &dropouts),
            "dropouts at {phase:?}"
        );
        let survivors = contributors(8, &dropouts).len();
        assert_eq!(survivors, if phase == Phase::Unmasking { 8 } else { 5 });
    }
}

#[test]
fn dropouts_spread_over_phases_still_sum_exactly() {
    let mut setup = setup(10, 6, 0, 3);
    let mut dropouts = Dropouts::at(Phase::ShareKeys, [0]);
    dropouts.silent_from.insert(3, Phase::MaskedInput);
    dropouts.silent_from.insert(9, Phase::MaskedInput);
    dropouts.silent_from.insert(5, Phase::Unmasking);
    assert_eq!(
        run(&mut setup, &dropouts).unwrap(),
        expected_sum(&setup, &dropouts)
    );
}

#[test]
fn below_threshold_at_any_phase_aborts_without_an_aggregate() {
    for phase in [
        Phase::AdvertiseKeys,
        Phase::ShareKeys,
        Phase::MaskedInput,
        Phase::Unmasking,
    ] {
        let mut setup = setup(7, 5, 0, 4);
        let outcome = run(&mut setup, &Dropouts::at(phase, [0, 2, 5]));
        assert_eq!(
            outcome,
            Err(AbortReason::BelowThreshold {
                phase,
                got: 4,
                need: 5
            })
        );
    }
}

/// Drives a round by hand, so tests can inject and replay messages between the steps.
struct Manual {
    setup: Setup,
    participants: Vec<Participant>,
    aggregator: Aggregator,
}

impl Manual {
    fn new(n: usize, threshold: usize) -> Manual {
        let mut setup = setup(n, threshold, 3, 5);
        let participants = (0..n)
            .map(|i| {
                let (identity, input) = (setup.identities[i].clone(), setup.inputs[i].clone());
                Participant::new(
                    setup.config.clone(),
                    i as ParticipantId,
                    identity,
                    input,
                    &mut setup.rng,
                )
                .unwrap()
            })
            .collect();
        let aggregator = Aggregator::new(setup.config.clone());
        Manual {
            setup,
            participants,
            aggregator,
        }
    }

    fn height(&self, phase: Phase) -> u64 {
        self.setup.config.deadlines.of(phase) - 1
    }

    fn send_all(&mut self, messages: &[SignedMessage], phase: Phase) {
        let height = self.height(phase);
        for message in messages {
            self.aggregator.receive(message, height).unwrap();
        }
    }

    fn close(&mut self, phase: Phase) -> Event {
        let mut events = self.aggregator.tick(self.setup.config.deadlines.of(phase));
        assert_eq!(events.len(), 1);
        events.pop().unwrap()
    }

    fn advertise(&mut self) -> (Vec<SignedMessage>, Vec<SignedMessage>) {
        let sent: Vec<SignedMessage> = self
            .participants
            .iter_mut()
            .map(|p| p.advertise_keys().unwrap())
            .collect();
        self.send_all(&sent, Phase::AdvertiseKeys);
        let Event::KeysAdvertised(advertisements) = self.close(Phase::AdvertiseKeys) else {
            panic!()
        };
        (sent, advertisements)
    }

    fn share(
        &mut self,
        advertisements: &[SignedMessage],
    ) -> (Vec<SignedMessage>, Vec<ShareDelivery>) {
        let rng = &mut self.setup.rng;
        let sent: Vec<SignedMessage> = self
            .participants
            .iter_mut()
            .map(|p| p.share_keys(advertisements, rng).unwrap())
            .collect();
        self.send_all(&sent, Phase::ShareKeys);
        let Event::KeysShared(deliveries) = self.close(Phase::ShareKeys) else {
            panic!()
        };
        (sent, deliveries.into_values().collect())
    }

    /// Everyone but `silent` submits; returns the submissions and the unmask request.
    fn submit(
        &mut self,
        deliveries: &[ShareDelivery],
        silent: &[usize],
    ) -> (Vec<SignedMessage>, UnmaskRequest) {
        let sent: Vec<SignedMessage> = self
            .participants
            .iter_mut()
            .zip(deliveries)
            .enumerate()
            .filter(|(i, _)| !silent.contains(i))
            .map(|(_, (p, d))| p.masked_input(d).unwrap())
            .collect();
        self.send_all(&sent, Phase::MaskedInput);
        let Event::InputsMasked(request) = self.close(Phase::MaskedInput) else {
            panic!()
        };
        (sent, request)
    }

    fn through_submit(
        n: usize,
        threshold: usize,
        silent: &[usize],
    ) -> (Manual, Vec<SignedMessage>, UnmaskRequest) {
        let mut manual = Manual::new(n, threshold);
        let (_, advertisements) = manual.advertise();
        let (_, deliveries) = manual.share(&advertisements);
        let (submitted, request) = manual.submit(&deliveries, silent);
        (manual, submitted, request)
    }
}

#[test]
fn a_participant_refuses_to_reveal_both_shares_of_one_user() {
    let (mut manual, _, request) = Manual::through_submit(5, 3, &[4]);
    assert_eq!(
        request,
        UnmaskRequest {
            survivors: vec![0, 1, 2, 3],
            dropped: vec![4]
        }
    );

    // Claiming survivor 2 dropped as well would reveal s_2 next to b_2: y_2 would be unmasked.
    let both = UnmaskRequest {
        survivors: vec![0, 1, 2, 3],
        dropped: vec![2, 4],
    };
    assert_eq!(
        manual.participants[0].unmask(&both),
        Err(ParticipantError::BothSharesRequested(2))
    );

    // The same attack split over two requests: the first is answered, the second refused.
    manual.participants[1].unmask(&request).unwrap();
    let moved = UnmaskRequest {
        survivors: vec![0, 1, 3],
        dropped: vec![2, 4],
    };
    assert_eq!(
        manual.participants[1].unmask(&moved),
        Err(ParticipantError::AlreadyUnmasked)
    );

    // A request hiding a user it masked with, or leaving it out of the survivors, is refused.
    let partial = UnmaskRequest {
        survivors: vec![0, 1, 3],
        dropped: vec![4],
    };
    assert_eq!(
        manual.participants[0].unmask(&partial),
        Err(ParticipantError::InconsistentRequest)
    );
    let without_me = UnmaskRequest {
        survivors: vec![1, 2, 3],
        dropped: vec![0, 4],
    };
    assert_eq!(
        manual.participants[0].unmask(&without_me),
        Err(ParticipantError::NotSurvivor)
    );
}

#[test]
fn forged_messages_are_rejected() {
    let mut manual = Manual::new(4, 3);
    let height = manual.height(Phase::AdvertiseKeys);
    let genuine = manual.participants[0].advertise_keys().unwrap();

    let mut reattributed = genuine.clone();
    reattributed.sender = 1;
    assert_eq!(
        manual.aggregator.receive(&reattributed, height),
        Err(Rejection::BadSignature)
    );

    let mut altered = genuine.clone();
    if let Body::AdvertiseKeys { mask_public, .. } = &mut altered.body {
        mask_public[0] ^= 1;
    }
    assert_eq!(
        manual.aggregator.receive(&altered, height),
        Err(Rejection::BadSignature)
    );

    let outsider = SigningKey::generate(&mut manual.setup.rng);
    let signed_by_outsider = SignedMessage::sign(genuine.round, 2, genuine.body.clone(), &outsider);
    assert_eq!(
        manual.aggregator.receive(&signed_by_outsider, height),
        Err(Rejection::BadSignature)
    );

    let non_member = SignedMessage::sign(genuine.round, 4, genuine.body.clone(), &outsider);
    assert_eq!(
        manual.aggregator.receive(&non_member, height),
        Err(Rejection::NotMember(4))
    );

    manual.aggregator.receive(&genuine, height).unwrap();
}

#[test]
fn replayed_late_and_out_of_phase_messages_are_rejected() {
    let mut manual = Manual::new(4, 3);
    let (advertised, advertisements) = manual.advertise();

    // An advertisement replayed into the next phase, and one from another round.
    let height = manual.height(Phase::ShareKeys);
    assert_eq!(
        manual.aggregator.receive(&advertised[0], height),
        Err(Rejection::WrongPhase {
            expected: Phase::ShareKeys,
            got: Phase::AdvertiseKeys
        })
    );
    let mut other_round = Manual::new(4, 3);
    other_round.setup.config = Arc::new(RoundConfig {
        round: RoundId {
            round: 4,
            ..manual.setup.config.round
        },
        ..(*manual.setup.config).clone()
    });
    let mut next_round = Aggregator::new(other_round.setup.config.clone());
    assert_eq!(
        next_round.receive(&advertised[0], 0),
        Err(Rejection::WrongRound)
    );

    let rng = &mut manual.setup.rng;
    let shares: Vec<SignedMessage> = manual
        .participants
        .iter_mut()
        .map(|p| p.share_keys(&advertisements, rng).unwrap())
        .collect();
    manual.aggregator.receive(&shares[0], height).unwrap();
    assert_eq!(
        manual.aggregator.receive(&shares[0], height),
        Err(Rejection::Duplicate(Phase::ShareKeys))
    );

    let deadline = manual.setup.config.deadlines.share_keys;
    assert_eq!(
        manual.aggregator.receive(&shares[1], deadline),
        Err(Rejection::AfterDeadline {
            phase: Phase::ShareKeys,
            deadline,
            height: deadline
        })
    );
}

#[test]
fn malformed_messages_are_rejected() {
    let mut manual = Manual::new(4, 3);
    let (_, advertisements) = manual.advertise();
    let height = manual.height(Phase::ShareKeys);
    let key = manual.setup.identities[0].clone();
    let round = manual.setup.config.round;

    let Body::ShareKeys { ciphertexts } = manual.participants[0]
        .share_keys(&advertisements, &mut manual.setup.rng)
        .unwrap()
        .body
    else {
        panic!()
    };
    let missing_one = SignedMessage::sign(
        round,
        0,
        Body::ShareKeys {
            ciphertexts: ciphertexts[1..].to_vec(),
        },
        &key,
    );
    assert!(matches!(
        manual.aggregator.receive(&missing_one, height),
        Err(Rejection::Malformed(_))
    ));
    let complete = SignedMessage::sign(round, 0, Body::ShareKeys { ciphertexts }, &key);
    manual.aggregator.receive(&complete, height).unwrap();

    // Low-order keys would make pairwise masks public: refused at advertisement.
    let mut fresh = Manual::new(4, 3);
    let weak = Body::AdvertiseKeys {
        cipher_public: [0; 32],
        mask_public: [9; 32],
        self_mask_commitment: [0; 32],
    };
    let weak = SignedMessage::sign(round, 1, weak, &fresh.setup.identities[1]);
    let height = fresh.height(Phase::AdvertiseKeys);
    assert_eq!(
        fresh.aggregator.receive(&weak, height),
        Err(Rejection::Malformed("low-order public key"))
    );
}

#[test]
fn masked_inputs_of_the_wrong_length_and_bad_unmask_shares_are_rejected() {
    let (mut manual, submitted, request) = Manual::through_submit(5, 3, &[]);
    assert!(request.dropped.is_empty());
    let round = manual.setup.config.round;
    let key = manual.setup.identities[0].clone();

    let mut fresh_round = Manual::new(5, 3);
    let (_, advertisements) = fresh_round.advertise();
    let (_, deliveries) = fresh_round.share(&advertisements);
    let short = SignedMessage::sign(
        fresh_round.setup.config.round,
        0,
        Body::MaskedInput {
            masked: vec![0; DIMS - 1],
        },
        &key,
    );
    let height = fresh_round.height(Phase::MaskedInput);
    assert!(matches!(
        fresh_round.aggregator.receive(&short, height),
        Err(Rejection::Malformed(_))
    ));
    assert!(
        fresh_round.participants[0]
            .masked_input(&deliveries[0])
            .is_ok()
    );

    assert_eq!(submitted.len(), 5);
    let height = manual.height(Phase::Unmasking);
    let Body::Unmask {
        self_mask_shares,
        mask_key_shares,
    } = manual.participants[0].unmask(&request).unwrap().body
    else {
        panic!()
    };
    let one_short = Body::Unmask {
        self_mask_shares: self_mask_shares[1..].to_vec(),
        mask_key_shares: mask_key_shares.clone(),
    };
    let one_short = SignedMessage::sign(round, 0, one_short, &key);
    assert!(matches!(
        manual.aggregator.receive(&one_short, height),
        Err(Rejection::Malformed(_))
    ));
}

#[test]
fn a_wrong_share_in_unmasking_aborts_instead_of_producing_a_wrong_sum() {
    let (mut manual, _, request) = Manual::through_submit(4, 3, &[]);
    let round = manual.setup.config.round;
    let height = manual.height(Phase::Unmasking);
    for i in 0..3 {
        let message = manual.participants[i].unmask(&request).unwrap();
        let message = if i == 1 {
            let Body::Unmask {
                mut self_mask_shares,
                mask_key_shares,
            } = message.body
            else {
                panic!()
            };
            self_mask_shares[2].1 = [3; 32];
            SignedMessage::sign(
                round,
                1,
                Body::Unmask {
                    self_mask_shares,
                    mask_key_shares,
                },
                &manual.setup.identities[1],
            )
        } else {
            message
        };
        manual.aggregator.receive(&message, height).unwrap();
    }
    assert_eq!(
        manual.close(Phase::Unmasking),
        Event::Aborted(AbortReason::InconsistentShares(2))
    );
}

#[test]
fn participants_reject_forged_advertisements_and_tampered_shares() {
    let mut manual = Manual::new(4, 3);
    let (_, advertisements) = manual.advertise();
    let mut forged = advertisements.clone();
    forged[2].sender = 3;
    assert_eq!(
        manual.participants[0]
            .share_keys(&forged, &mut manual.setup.rng)
            .err(),
        Some(ParticipantError::BadAdvertisement {
            sender: 3,
            reason: "bad signature"
        })
    );
    assert_eq!(
        manual.participants[0]
            .share_keys(&advertisements[..2], &mut manual.setup.rng)
            .err(),
        Some(ParticipantError::BelowThreshold {
            phase: Phase::ShareKeys,
            got: 2,
            need: 3
        })
    );

    let (_, mut deliveries) = manual.share(&advertisements);
    deliveries[0][1].1[5] ^= 1;
    let tampered_sender = deliveries[0][1].0;
    assert_eq!(
        manual.participants[0].masked_input(&deliveries[0]).err(),
        Some(ParticipantError::BadShareCiphertext {
            sender: tampered_sender
        })
    );
    // A ciphertext for participant 1 forwarded to participant 2 does not open either.
    let misrouted: ShareDelivery = vec![deliveries[1][1]];
    assert!(matches!(
        manual.participants[2].masked_input(&misrouted),
        Err(ParticipantError::BadShareCiphertext { .. })
    ));
}

#[test]
fn phases_close_at_their_deadlines_and_a_finished_round_takes_no_more_messages() {
    let mut manual = Manual::new(4, 3);
    let deadlines = manual.setup.config.deadlines;
    let advertised: Vec<SignedMessage> = manual
        .participants
        .iter_mut()
        .map(|p| p.advertise_keys().unwrap())
        .collect();
    manual.send_all(&advertised, Phase::AdvertiseKeys);
    assert!(
        manual
            .aggregator
            .tick(deadlines.advertise_keys - 1)
            .is_empty()
    );
    assert_eq!(manual.aggregator.phase(), Some(Phase::AdvertiseKeys));
    // A height past several deadlines closes them in order; nobody shared keys, so the round aborts.
    let events = manual.aggregator.tick(deadlines.masked_input);
    assert!(matches!(events[0], Event::KeysAdvertised(_)));
    assert_eq!(
        events[1],
        Event::Aborted(AbortReason::BelowThreshold {
            phase: Phase::ShareKeys,
            got: 0,
            need: 3
        })
    );
    assert_eq!(manual.aggregator.phase(), None);
    assert_eq!(
        manual.aggregator.receive(&advertised[0], 0),
        Err(Rejection::RoundClosed)
    );
}

package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.IntStream;

/**
 * The DPO family's losses as one pure function of the policy's and the reference's summed
 * log-probs of each pair ({@link PairLogps}), built from tensor ops so that a trainer backpropagates
 * through it, with TRL's metrics computed alongside.
 *
 * <p>Notation, per pair i: {@code c}, {@code r} the policy's chosen and rejected log-probs,
 * {@code c₀}, {@code r₀} the reference's, {@code ρc = c − c₀} and {@code ρr = r − r₀} the log-ratios,
 * {@code Δ = ρc − ρr}, {@code β} = beta, {@code ε} = label_smoothing, {@code σ} the logistic
 * function, {@code |y|} a completion's token count (at least 1). Each type's per-pair loss:
 * <pre>
 * sigmoid      −log σ(βΔ)                                          (cDPO: (1−ε)·(−log σ(βΔ)) + ε·(−log σ(−βΔ)))
 * hinge        max(0, 1 − βΔ)
 * ipo          (ρc/|yc| − ρr/|yr| − 1/(2β))²
 * exo_pair     σ(βΔ)·(log σ(βΔ) − log(1−ε)) + σ(−βΔ)·(log σ(−βΔ) − log ε)
 * nca_pair     −log σ(βρc) − ½·log σ(−βρc) − ½·log σ(−βρr)
 * robust       ((1−ε)·(−log σ(βΔ)) − ε·(−log σ(−βΔ))) / (1 − 2ε)
 * bco_pair     −log σ(βρc) − log σ(−βρr)
 * sppo_hard    (ρc − 1/(2β))² + (ρr + 1/(2β))²
 * aot          (1−ε)·(−log σ(βd)) + ε·(−log σ(−βd)),  d = sort(c − r) − sort(c₀ − r₀)  (sorted over the batch)
 * aot_unpaired the same with d = sort(ρc) − sort(ρr)
 * apo_zero     1 − σ(βρc) + σ(βρr)
 * apo_down     σ(βρc) + 1 − σ(βΔ)
 * discopop     (1−m)·(−log σ(βΔ)) + m·e^(−βΔ),  m = σ(βΔ/τ), τ = discopop_tau
 * sft          −Σ_j c_j / Σ_j |yc_j|   (the chosen completions' NLL per token over the batch)
 * sigmoid_norm −log σ(β·(ρc/|yc| − ρr/|yr|))
 * </pre>
 * With several {@code loss_type}s the per-pair loss is {@code Σ_k w_k·ℓ_k} ({@code loss_weights},
 * 1 each by default: MPO's combination). {@code rpo_alpha} α adds {@code α·NLL(chosen)} per pair
 * (RPO, Pang et al. 2024, "Iterative Reasoning Preference Optimization", arXiv:2404.19733, v3).
 * {@code reference_free} takes the reference log-probs as 0 (a reference that gives every
 * completion the same probability). The result is the SUM over the batch's pairs, which
 * {@link dev.align4j.train.Objective} wants; TRL's {@code loss} is its mean.
 *
 * <p>Metrics, as sums over pairs (the loop divides by the pairs): {@code rewards/chosen}
 * {@code βρc}, {@code rewards/rejected} {@code βρr}, {@code rewards/accuracies}
 * {@code [βρc > βρr]}, {@code rewards/margins} {@code β(ρc − ρr)}, {@code logps/chosen} {@code c},
 * {@code logps/rejected} {@code r}, and {@code nll_loss} when an NLL term is used.
 *
 * <p>Based on {@code DPOTrainer._compute_loss} of TRL 1.x (trl/trainer/dpo_trainer.py) for every
 * type, and of TRL 0.2x ({@code dpo_loss}) for {@code rpo_alpha}, {@code reference_free} and cDPO.
 * Deviations, each deliberate: {@code label_smoothing} means what TRL 1.x gives it (the flip rate of
 * {@code robust}, EXO's ε, the smoothing of {@code aot}); TRL ≤ 0.28's conservative DPO, which
 * smoothed {@code sigmoid} with it, is selected with {@code cdpo}, and a {@code label_smoothing}
 * no chosen type uses is an error rather than silently ignored. {@code bco_pair} is TRL 1.x's,
 * without 0.2x's running-mean shift. {@code reference_free} zeroes the reference for every type and
 * metric, where TRL 0.2x zeroed it only inside the sigmoid-family logits.
 */
public final class DpoLoss {
    private DpoLoss() {}

    /**
     * The loss's settings under DPOConfig's names.
     *
     * @param beta           β, the strength of the KL constraint to the reference (τ for IPO)
     * @param lossTypes      one or more loss types, combined by weight
     * @param lossWeights    one weight per loss type
     * @param labelSmoothing ε: the label flip rate of {@code robust} (in [0, 0.5)), EXO's ε (> 0 for
     *                       {@code exo_pair}), the smoothing of {@code aot}, {@code aot_unpaired} and, with
     *                       {@code cdpo}, of {@code sigmoid}
     * @param cdpo           conservative DPO: smooth the {@code sigmoid} loss with ε, as TRL ≤ 0.28 did
     * @param rpoAlpha       the weight of the chosen NLL added per pair (RPO); empty for none
     * @param referenceFree  take every reference log-prob as 0
     * @param discopopTau    DiscoPOP's τ
     */
    public record Options(double beta, List<DpoLossType> lossTypes, List<Double> lossWeights, double labelSmoothing,
                          boolean cdpo, OptionalDouble rpoAlpha, boolean referenceFree, double discopopTau) {

        /** DPOConfig's defaults: beta 0.1, loss_type [sigmoid], label_smoothing 0, discopop_tau 0.05. */
        public static final Options DEFAULT = new Options(0.1, List.of(DpoLossType.SIGMOID), List.of(1.0), 0, false,
                OptionalDouble.empty(), false, 0.05);

        public Options {
            lossTypes = List.copyOf(lossTypes);
            lossWeights = List.copyOf(lossWeights);
            if (!(beta > 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("beta must be > 0, got " + beta);
            if (lossTypes.isEmpty()) throw new IllegalArgumentException("loss_type must name at least one loss type");
            if (lossWeights.size() != lossTypes.size()) {
                throw new IllegalArgumentException("loss_weights has " + lossWeights.size() + " weights for " + lossTypes.size()
                        + " loss types " + names(lossTypes) + "; give one weight per loss type, or none for 1 each");
            }
            if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
                throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
            }
            if (lossTypes.contains(DpoLossType.EXO_PAIR) && labelSmoothing == 0) {
                throw new IllegalArgumentException("loss_type exo_pair needs label_smoothing > 0 (EXO's ε; the paper uses 1e-3)");
            }
            if (cdpo && !lossTypes.contains(DpoLossType.SIGMOID)) {
                throw new IllegalArgumentException("cdpo smooths the sigmoid loss, but loss_type is " + names(lossTypes)
                        + "; add sigmoid or turn cdpo off");
            }
            boolean smoothed = cdpo || lossTypes.stream().anyMatch(t -> switch (t) {
                case ROBUST, EXO_PAIR, AOT, AOT_UNPAIRED -> true;
                default -> false;
            });
            if (labelSmoothing > 0 && !smoothed) {
                throw new IllegalArgumentException("label_smoothing " + labelSmoothing + " is used by none of " + names(lossTypes)
                        + " (it applies to robust, exo_pair, aot and aot_unpaired); for conservative DPO (TRL ≤ 0.28's"
                        + " smoothed sigmoid) set cdpo: true, or use loss_type robust");
            }
            if (rpoAlpha == null) throw new IllegalArgumentException("rpo_alpha: use OptionalDouble.empty() for none, not null");
            if (rpoAlpha.isPresent() && !(rpoAlpha.getAsDouble() >= 0)) {
                throw new IllegalArgumentException("rpo_alpha must be ≥ 0, got " + rpoAlpha.getAsDouble());
            }
            if (!(discopopTau > 0)) throw new IllegalArgumentException("discopop_tau must be > 0, got " + discopopTau);
        }

        public Options withLossTypes(List<DpoLossType> types, List<Double> weights) {
            return new Options(beta, types, weights, labelSmoothing, cdpo, rpoAlpha, referenceFree, discopopTau);
        }

        public Options withLossType(DpoLossType type) {
            return withLossTypes(List.of(type), List.of(1.0));
        }

        public Options withBeta(double value) {
            return new Options(value, lossTypes, lossWeights, labelSmoothing, cdpo, rpoAlpha, referenceFree, discopopTau);
        }

        public Options withLabelSmoothing(double value, boolean conservative) {
            return new Options(beta, lossTypes, lossWeights, value, conservative, rpoAlpha, referenceFree, discopopTau);
        }

        public Options withRpoAlpha(double value) {
            return new Options(beta, lossTypes, lossWeights, labelSmoothing, cdpo, OptionalDouble.of(value), referenceFree, discopopTau);
        }

        public Options withReferenceFree(boolean value) {
            return new Options(beta, lossTypes, lossWeights, labelSmoothing, cdpo, rpoAlpha, value, discopopTau);
        }

        private static List<String> names(List<DpoLossType> types) {
            return types.stream().map(DpoLossType::trlName).toList();
        }
    }

    /**
     * @param loss       () the summed loss over the batch's pairs, recorded for backward
     * @param perPair    (B) each pair's loss (in sorted order for the {@code aot} types, whose pairs
     *                   the sort re-forms)
     * @param metricSums TRL's metrics summed over the pairs
     */
    public record Result(Tensor loss, Tensor perPair, Map<String, Double> metricSums) {}

    /**
     * The loss of a batch of pairs.
     *
     * @param reference the reference model's log-probs of the same pairs, constants (no gradient);
     *                  null exactly when {@code referenceFree}
     */
    public static Result compute(Options o, PairLogps policy, PairLogps reference) {
        int b = policy.pairs();
        if (o.referenceFree() != (reference == null)) {
            throw new IllegalArgumentException(o.referenceFree() ? "reference_free is set, so no reference log-probs are taken"
                    : "the reference log-probs are missing (pass them, or set reference_free)");
        }
        Tensor c0, r0;
        if (reference == null) {
            c0 = Tensor.zeros(b);
            r0 = Tensor.zeros(b);
        } else {
            if (reference.pairs() != b) {
                throw new IllegalArgumentException("the reference has " + reference.pairs() + " pairs, the policy " + b);
            }
            if (reference.chosen().requiresGrad() || reference.rejected().requiresGrad()) {
                throw new IllegalArgumentException("the reference log-probs require gradients; compute them without"
                        + " gradients (Autograd.noGrad) or detach them: the reference must never change");
            }
            c0 = reference.chosen();
            r0 = reference.rejected();
        }
        Tensor c = policy.chosen(), r = policy.rejected();
        Tensor rhoC = Elementwise.sub(c, c0), rhoR = Elementwise.sub(r, r0); // (B)
        Tensor bDelta = scale(Elementwise.sub(rhoC, rhoR), o.beta());         // (B) βΔ
        Tensor nll = policy.chosenNll();                                      // ()

        Tensor total = null; // (B)
        for (int k = 0; k < o.lossTypes().size(); k++) {
            DpoLossType type = o.lossTypes().get(k);
            Tensor l = perPair(type, o, policy, c0, r0, rhoC, rhoR, bDelta, nll);
            Tensor weighted = scale(l, o.lossWeights().get(k));
            total = total == null ? weighted : Elementwise.add(total, weighted);
        }
        boolean rpo = o.rpoAlpha().isPresent();
        if (rpo) total = Elementwise.add(total, PairLogps.perPair(scale(nll, o.rpoAlpha().getAsDouble()), b));

        Map<String, Double> metrics = rewardMetrics(scale(rhoC.detach(), o.beta()), scale(rhoR.detach(), o.beta()));
        metrics.put("logps/chosen", sum(c));
        metrics.put("logps/rejected", sum(r));
        if (rpo || o.lossTypes().contains(DpoLossType.SFT)) metrics.put("nll_loss", (double) nll.item() * b);
        return new Result(Reductions.sum(total), total, metrics);
    }

    /** Each type's per-pair loss, (B): the table of the class comment. */
    private static Tensor perPair(DpoLossType type, Options o, PairLogps policy, Tensor c0, Tensor r0, Tensor rhoC, Tensor rhoR,
                                  Tensor bDelta, Tensor nll) {
        double beta = o.beta(), eps = o.labelSmoothing();
        return switch (type) {
            case SIGMOID -> o.cdpo() ? smoothedSigmoid(bDelta, eps) : negLogSigmoid(bDelta);
            case HINGE -> Elementwise.relu(Elementwise.addScalar(Elementwise.neg(bDelta), 1f));
            case IPO -> {
                // TRL averages the log-ratios per token (confirmed with the IPO authors, per its comment).
                Tensor d = Elementwise.sub(PairLogps.perToken(rhoC, policy.chosenTokens()), PairLogps.perToken(rhoR, policy.rejectedTokens()));
                yield square(Elementwise.addScalar(d, (float) (-1 / (2 * beta))));
            }
            case EXO_PAIR -> {
                Tensor qw = Elementwise.sigmoid(bDelta), ql = Elementwise.sigmoid(Elementwise.neg(bDelta));
                Tensor logQw = Elementwise.logSigmoid(bDelta), logQl = Elementwise.logSigmoid(Elementwise.neg(bDelta));
                yield Elementwise.add(Elementwise.mul(qw, Elementwise.addScalar(logQw, (float) -Math.log1p(-eps))),
                        Elementwise.mul(ql, Elementwise.addScalar(logQl, (float) -Math.log(eps))));
            }
            case NCA_PAIR -> {
                Tensor bc = scale(rhoC, beta), br = scale(rhoR, beta);
                yield Elementwise.add(negLogSigmoid(bc), scale(Elementwise.add(negLogSigmoid(Elementwise.neg(bc)),
                        negLogSigmoid(Elementwise.neg(br))), 0.5));
            }
            case ROBUST -> scale(Elementwise.sub(scale(negLogSigmoid(bDelta), 1 - eps),
                    scale(negLogSigmoid(Elementwise.neg(bDelta)), eps)), 1 / (1 - 2 * eps));
            case BCO_PAIR -> Elementwise.add(negLogSigmoid(scale(rhoC, beta)), negLogSigmoid(scale(Elementwise.neg(rhoR), beta)));
            case SPPO_HARD -> Elementwise.add(square(Elementwise.addScalar(rhoC, (float) (-0.5 / beta))),
                    square(Elementwise.addScalar(rhoR, (float) (0.5 / beta))));
            case AOT -> smoothedSigmoid(scale(Elementwise.sub(sorted(Elementwise.sub(policy.chosen(), policy.rejected())),
                    sorted(Elementwise.sub(c0, r0))), beta), eps);
            case AOT_UNPAIRED -> smoothedSigmoid(scale(Elementwise.sub(sorted(rhoC), sorted(rhoR)), beta), eps);
            case APO_ZERO -> Elementwise.add(Elementwise.addScalar(Elementwise.neg(Elementwise.sigmoid(scale(rhoC, beta))), 1f),
                    Elementwise.sigmoid(scale(rhoR, beta)));
            case APO_DOWN -> Elementwise.add(Elementwise.sigmoid(scale(rhoC, beta)),
                    Elementwise.addScalar(Elementwise.neg(Elementwise.sigmoid(bDelta)), 1f));
            case DISCOPOP -> {
                Tensor m = Elementwise.sigmoid(scale(bDelta, 1 / o.discopopTau()));
                Tensor logistic = negLogSigmoid(bDelta), exponential = Elementwise.exp(Elementwise.neg(bDelta));
                yield Elementwise.add(Elementwise.mul(logistic, Elementwise.addScalar(Elementwise.neg(m), 1f)),
                        Elementwise.mul(exponential, m));
            }
            case SFT -> PairLogps.perPair(nll, policy.pairs());
            case SIGMOID_NORM -> negLogSigmoid(scale(Elementwise.sub(PairLogps.perToken(rhoC, policy.chosenTokens()),
                    PairLogps.perToken(rhoR, policy.rejectedTokens())), beta));
        };
    }

    /**
     * TRL's reward metrics as sums over pairs from the (B) rewards of the chosen and rejected
     * completions: {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/accuracies}
     * (the count of pairs whose chosen reward is strictly greater) and {@code rewards/margins}.
     * ORPO and CPO report theirs the same way.
     */
    static Map<String, Double> rewardMetrics(Tensor chosenRewards, Tensor rejectedRewards) {
        float[] cr = chosenRewards.toArray(), rr = rejectedRewards.toArray();
        double chosen = 0, rejected = 0, margins = 0, accurate = 0;
        for (int i = 0; i < cr.length; i++) {
            chosen += cr[i];
            rejected += rr[i];
            margins += (double) cr[i] - rr[i];
            if (cr[i] > rr[i]) accurate++;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", chosen);
        m.put("rewards/rejected", rejected);
        m.put("rewards/accuracies", accurate);
        m.put("rewards/margins", margins);
        return m;
    }

    /** {@code −log σ(x)}. */
    static Tensor negLogSigmoid(Tensor x) {
        return Elementwise.neg(Elementwise.logSigmoid(x));
    }

    /** {@code (1−ε)·(−log σ(x)) + ε·(−log σ(−x))}: the cDPO form TRL gives sigmoid-like losses with label smoothing. */
    static Tensor smoothedSigmoid(Tensor x, double eps) {
        Tensor clean = negLogSigmoid(x);
        if (eps == 0) return clean;
        return Elementwise.add(scale(clean, 1 - eps), scale(negLogSigmoid(Elementwise.neg(x)), eps));
    }

    static Tensor scale(Tensor x, double s) {
        return Elementwise.mulScalar(x, (float) s);
    }

    static double sum(Tensor x) {
        double s = 0;
        for (float v : x.toArray()) s += v;
        return s;
    }

    private static Tensor square(Tensor x) {
        return Elementwise.mul(x, x);
    }

    /** (B) {@code x} in ascending order ({@code torch.sort(x, dim=0)}); the gradient flows back to each element's place. */
    private static Tensor sorted(Tensor x) {
        float[] v = x.toArray();
        int[] order = IntStream.range(0, v.length).boxed().sorted(Comparator.comparingDouble(i -> v[i]))
                .mapToInt(Integer::intValue).toArray();
        return ShapeOps.indexSelect(x, 0, order);
    }
}

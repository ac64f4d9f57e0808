package io.ctxbench.results;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapTest {

    @Test
    void percentileIsNumpysLinearInterpolation() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
        double[] v = {4, 1, 3, 2};
        assertEquals(1.075, Bootstrap.percentile(v, 2.5), 1e-12);
        assertEquals(2.5, Bootstrap.percentile(v, 50), 1e-12);
        assertEquals(3.925, Bootstrap.percentile(v, 97.5), 1e-12);
    }

    @Test
    void meanIntervalCoversTheMeanAndNarrowsWithN() {
        double[] small = new double[10], large = new double[400];
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < large.length; i++) {
            large[i] = r.nextDouble();
            if (i < small.length) {
                small[i] = large[i];
            }
        }
        Interval s = Bootstrap.mean(small), l = Bootstrap.mean(large);
        assertTrue(s.low() < s.estimate() && s.estimate() < s.high(), s.toString());
        assertTrue(l.high() - l.low() < (s.high() - s.low()) / 3, l + " vs " + s);
        // uniform(0,1): sd 0.289, so the 95% interval of a mean of 400 is about +-0.028
        assertEquals(0.057, l.high() - l.low(), 0.015);
        assertEquals(Bootstrap.mean(large), Bootstrap.mean(large), "fixed seed: same records, same interval");
    }

    @Test
    void pairedDifferenceSeparatesAConsistentShiftThatUnpairedMeansWouldNot() {
        double[] a = new double[30], b = new double[30];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;              // samples differ a lot among themselves
            b[i] = i + 0.5 + (i % 3) * 0.1;   // but b is always a bit higher
        }
        Interval d = Bootstrap.meanDifference(a, b);
        assertTrue(d.excludesZero(), d.toString());
        assertTrue(d.high() < 0, d.toString());
        Interval ma = Bootstrap.mean(a), mb = Bootstrap.mean(b);
        assertTrue(ma.high() > mb.low(), "the unpaired intervals overlap");
    }

    @Test
    void ratioOfSumsIsTotalOverTotalNotMeanOfRates() {
        double[] tokens = {100, 100}, seconds = {1, 9};
        // mean of rates = (100 + 11.1) / 2 = 55.6; total over total = 200 / 10 = 20
        assertEquals(20.0, Bootstrap.ratioOfSums(tokens, seconds).estimate(), 1e-12);
    }

    @Test
    void ratioOfRatiosIsTheRatioOfTwoTotalOverTotalFiguresOnPairedSamples() {
        // method A: 300 tokens in 3 s (100/s); baseline B: 300 tokens in 6 s (50/s); x2 whatever the rates per sample
        double[] tokA = {100, 100, 100, Double.NaN}, secA = {0.5, 1, 1.5, 1}, tokB = {100, 100, 100, 100}, secB = {1, 2, 3, 1};
        Interval x = Bootstrap.ratioOfRatios(tokA, secA, tokB, secB);
        assertEquals(2.0, x.estimate(), 1e-12);
        assertEquals(3, x.n(), "the pair with a NaN is left out");
        // every pair is A twice as fast as B: every resample says 2
        assertEquals(2.0, x.low(), 1e-12);
        assertEquals(2.0, x.high(), 1e-12);
        Interval noisy = Bootstrap.ratioOfRatios(new double[]{10, 10, 10, 10}, new double[]{1, 2, 1, 2},
                new double[]{10, 10, 10, 10}, new double[]{2, 1, 1, 2});
        assertTrue(noisy.low() < 1 && noisy.high() > 1 && noisy.estimate() == 1.0, noisy.toString());
    }

    @Test
    void noIntervalBelowTwoSamplesAndNaNLeftOut() {
        Interval one = Bootstrap.mean(new double[]{0.5, Double.NaN});
        assertEquals(0.5, one.estimate());
        assertEquals(1, one.n());
        assertFalse(one.hasInterval());
        assertEquals("0.50", one.format(2));
        assertEquals("-", Bootstrap.mean(new double[0]).format(2));
        assertEquals(3.0, Bootstrap.median(new double[]{1, 3, 100}).estimate());
    }

    @Test
    void meanOfMeansWeighsGroupsEquallyAndResamplesWithinEach() {
        double[] zeros = {0, 0, 0, 0}, ones = {1, 1, 1, 1, 1, 1, 1, 1};
        Interval m = Bootstrap.meanOfMeans(java.util.List.of(zeros, ones));
        // the mean of the two means, not of the 12 values (8/12)
        assertEquals(0.5, m.estimate(), 1e-12);
        assertEquals(12, m.n());
        // each group keeps its size in every resample, so constant groups leave nothing to vary
        assertEquals(0.5, m.low(), 1e-12);
        assertEquals(0.5, m.high(), 1e-12);
        Interval pooled = Bootstrap.mean(new double[]{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
        assertTrue(pooled.high() - pooled.low() > 0.3, pooled.toString());
        // a group with one value: no interval; NaN values and empty groups left out
        Interval one = Bootstrap.meanOfMeans(java.util.List.of(new double[]{0.2, Double.NaN}, new double[]{0.4, 0.6},
                new double[0]));
        assertEquals(0.35, one.estimate(), 1e-12);
        assertEquals(3, one.n());
        assertFalse(one.hasInterval());
        assertEquals(0, Bootstrap.meanOfMeans(java.util.List.of()).n());
    }
}

"""Printing (SPEC §11): repr/str match what torch prints, character for character, with
'torch.' spelled 'nbtensor.'. The expected strings were printed by torch 2.13 and are
written down here, so these tests don't need torch; a parity test compares many more
cases directly when torch is installed."""
import math
import warnings

import numpy as np
import pytest

import nbtensor

# torch's reprs of CPU tensors; another device adds device='...' (test_creation.py::test_repr_names_the_device)
pytestmark = pytest.mark.cpu_only

nan, inf = math.nan, math.inf

# (expression, what torch 2.13 prints for it with 'torch.' replaced by 'nbtensor.')
CASES = [
    ('nbtensor.tensor([5.5, 3])',
     'tensor([5.5000, 3.0000])'),
    ('nbtensor.tensor([1, 2, 3])',
     'tensor([1, 2, 3])'),
    ('nbtensor.tensor([[1, -2], [300, 4]])',
     ('tensor([[  1,  -2],\n'
      '        [300,   4]])')),
    ('nbtensor.tensor([True, False, True])',
     'tensor([ True, False,  True])'),
    ('nbtensor.tensor([1.5, 2.0], dtype=nbtensor.float64)',
     'tensor([1.5000, 2.0000], dtype=nbtensor.float64)'),
    ('nbtensor.tensor([1, 2], dtype=nbtensor.int32)',
     'tensor([1, 2], dtype=nbtensor.int32)'),
    ('nbtensor.tensor([0.1, 2.5], dtype=nbtensor.float16)',
     'tensor([0.1000, 2.5000], dtype=nbtensor.float16)'),
    ('nbtensor.tensor([1, 255], dtype=nbtensor.uint8)',
     'tensor([  1, 255], dtype=nbtensor.uint8)'),
    ('nbtensor.tensor([1e-5, 1.0])',
     'tensor([1.0000e-05, 1.0000e+00])'),
    ('nbtensor.tensor([1e10, 1])',
     'tensor([1.0000e+10, 1.0000e+00])'),
    ('nbtensor.tensor([123456789.0, 1.0])',
     'tensor([1.2346e+08, 1.0000e+00])'),
    ('nbtensor.tensor([0.001, 1000.0])',
     'tensor([1.0000e-03, 1.0000e+03])'),
    ('nbtensor.tensor([0.001, 100.0])',
     'tensor([1.0000e-03, 1.0000e+02])'),
    ('nbtensor.tensor([1e-5, 1.0], dtype=nbtensor.float64)',
     'tensor([1.0000e-05, 1.0000e+00], dtype=nbtensor.float64)'),
    ('nbtensor.tensor([1., 2.])',
     'tensor([1., 2.])'),
    ('nbtensor.tensor([-1., 0., 1000.])',
     'tensor([  -1.,    0., 1000.])'),
    ('nbtensor.tensor([1., 2.], dtype=nbtensor.float64)',
     'tensor([1., 2.], dtype=nbtensor.float64)'),
    ('nbtensor.tensor([nan, inf, -inf, 1.5])',
     'tensor([   nan,    inf,   -inf, 1.5000])'),
    ('nbtensor.tensor([nan, inf, -inf, 2.0])',
     'tensor([nan, inf, -inf, 2.])'),
    ('nbtensor.tensor([nan])',
     'tensor([nan])'),
    ('nbtensor.tensor([inf, -inf])',
     'tensor([inf, -inf])'),
    ('nbtensor.tensor([0.0, -0.0])',
     'tensor([0., -0.])'),
    ('nbtensor.tensor([[1.5, -2.25], [-10.125, 3.0]])',
     ('tensor([[  1.5000,  -2.2500],\n'
      '        [-10.1250,   3.0000]])')),
    ('nbtensor.tensor([[1, -20], [-300, 4]])',
     ('tensor([[   1,  -20],\n'
      '        [-300,    4]])')),
    ('nbtensor.arange(24).view(2, 3, 4)',
     ('tensor([[[ 0,  1,  2,  3],\n'
      '         [ 4,  5,  6,  7],\n'
      '         [ 8,  9, 10, 11]],\n'
      '\n'
      '        [[12, 13, 14, 15],\n'
      '         [16, 17, 18, 19],\n'
      '         [20, 21, 22, 23]]])')),
    ('nbtensor.as_tensor((np.arange(24.0).reshape(2, 3, 4) / 4).astype(np.float32))',
     ('tensor([[[0.0000, 0.2500, 0.5000, 0.7500],\n'
      '         [1.0000, 1.2500, 1.5000, 1.7500],\n'
      '         [2.0000, 2.2500, 2.5000, 2.7500]],\n'
      '\n'
      '        [[3.0000, 3.2500, 3.5000, 3.7500],\n'
      '         [4.0000, 4.2500, 4.5000, 4.7500],\n'
      '         [5.0000, 5.2500, 5.5000, 5.7500]]])')),
    ('nbtensor.arange(12, dtype=nbtensor.float32).reshape(3, 4)',
     ('tensor([[ 0.,  1.,  2.,  3.],\n'
      '        [ 4.,  5.,  6.,  7.],\n'
      '        [ 8.,  9., 10., 11.]])')),
    ('nbtensor.arange(12).view(3, 4).t()',
     ('tensor([[ 0,  4,  8],\n'
      '        [ 1,  5,  9],\n'
      '        [ 2,  6, 10],\n'
      '        [ 3,  7, 11]])')),
    ('nbtensor.arange(2000)',
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('nbtensor.arange(10000).view(100, 100)',
     ('tensor([[   0,    1,    2,  ...,   97,   98,   99],\n'
      '        [ 100,  101,  102,  ...,  197,  198,  199],\n'
      '        [ 200,  201,  202,  ...,  297,  298,  299],\n'
      '        ...,\n'
      '        [9700, 9701, 9702,  ..., 9797, 9798, 9799],\n'
      '        [9800, 9801, 9802,  ..., 9897, 9898, 9899],\n'
      '        [9900, 9901, 9902,  ..., 9997, 9998, 9999]])')),
    ('nbtensor.as_tensor(np.arange(10000.0).reshape(100, 100) / 7)',
     ('tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 1.3857e+01, 1.4000e+01,\n'
      '         1.4143e+01],\n'
      '        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.8143e+01, 2.8286e+01,\n'
      '         2.8429e+01],\n'
      '        [2.8571e+01, 2.8714e+01, 2.8857e+01,  ..., 4.2429e+01, 4.2571e+01,\n'
      '         4.2714e+01],\n'
      '        ...,\n'
      '        [1.3857e+03, 1.3859e+03, 1.3860e+03,  ..., 1.3996e+03, 1.3997e+03,\n'
      '         1.3999e+03],\n'
      '        [1.4000e+03, 1.4001e+03, 1.4003e+03,  ..., 1.4139e+03, 1.4140e+03,\n'
      '         1.4141e+03],\n'
      '        [1.4143e+03, 1.4144e+03, 1.4146e+03,  ..., 1.4281e+03, 1.4283e+03,\n'
      '         1.4284e+03]], dtype=nbtensor.float64)')),
    ('nbtensor.arange(3000).view(10, 10, 30)',
     ('tensor([[[   0,    1,    2,  ...,   27,   28,   29],\n'
      '         [  30,   31,   32,  ...,   57,   58,   59],\n'
      '         [  60,   61,   62,  ...,   87,   88,   89],\n'
      '         ...,\n'
      '         [ 210,  211,  212,  ...,  237,  238,  239],\n'
      '         [ 240,  241,  242,  ...,  267,  268,  269],\n'
      '         [ 270,  271,  272,  ...,  297,  298,  299]],\n'
      '\n'
      '        [[ 300,  301,  302,  ...,  327,  328,  329],\n'
      '         [ 330,  331,  332,  ...,  357,  358,  359],\n'
      '         [ 360,  361,  362,  ...,  387,  388,  389],\n'
      '         ...,\n'
      '         [ 510,  511,  512,  ...,  537,  538,  539],\n'
      '         [ 540,  541,  542,  ...,  567,  568,  569],\n'
      '         [ 570,  571,  572,  ...,  597,  598,  599]],\n'
      '\n'
      '        [[ 600,  601,  602,  ...,  627,  628,  629],\n'
      '         [ 630,  631,  632,  ...,  657,  658,  659],\n'
      '         [ 660,  661,  662,  ...,  687,  688,  689],\n'
      '         ...,\n'
      '         [ 810,  811,  812,  ...,  837,  838,  839],\n'
      '         [ 840,  841,  842,  ...,  867,  868,  869],\n'
      '         [ 870,  871,  872,  ...,  897,  898,  899]],\n'
      '\n'
      '        ...,\n'
      '\n'
      '        [[2100, 2101, 2102,  ..., 2127, 2128, 2129],\n'
      '         [2130, 2131, 2132,  ..., 2157, 2158, 2159],\n'
      '         [2160, 2161, 2162,  ..., 2187, 2188, 2189],\n'
      '         ...,\n'
      '         [2310, 2311, 2312,  ..., 2337, 2338, 2339],\n'
      '         [2340, 2341, 2342,  ..., 2367, 2368, 2369],\n'
      '         [2370, 2371, 2372,  ..., 2397, 2398, 2399]],\n'
      '\n'
      '        [[2400, 2401, 2402,  ..., 2427, 2428, 2429],\n'
      '         [2430, 2431, 2432,  ..., 2457, 2458, 2459],\n'
      '         [2460, 2461, 2462,  ..., 2487, 2488, 2489],\n'
      '         ...,\n'
      '         [2610, 2611, 2612,  ..., 2637, 2638, 2639],\n'
      '         [2640, 2641, 2642,  ..., 2667, 2668, 2669],\n'
      '         [2670, 2671, 2672,  ..., 2697, 2698, 2699]],\n'
      '\n'
      '        [[2700, 2701, 2702,  ..., 2727, 2728, 2729],\n'
      '         [2730, 2731, 2732,  ..., 2757, 2758, 2759],\n'
      '         [2760, 2761, 2762,  ..., 2787, 2788, 2789],\n'
      '         ...,\n'
      '         [2910, 2911, 2912,  ..., 2937, 2938, 2939],\n'
      '         [2940, 2941, 2942,  ..., 2967, 2968, 2969],\n'
      '         [2970, 2971, 2972,  ..., 2997, 2998, 2999]]])')),
    ('nbtensor.as_tensor((np.arange(40.0) / 3).astype(np.float32))',
     ('tensor([ 0.0000,  0.3333,  0.6667,  1.0000,  1.3333,  1.6667,  2.0000,  2.3333,\n'
      '         2.6667,  3.0000,  3.3333,  3.6667,  4.0000,  4.3333,  4.6667,  5.0000,\n'
      '         5.3333,  5.6667,  6.0000,  6.3333,  6.6667,  7.0000,  7.3333,  7.6667,\n'
      '         8.0000,  8.3333,  8.6667,  9.0000,  9.3333,  9.6667, 10.0000, 10.3333,\n'
      '        10.6667, 11.0000, 11.3333, 11.6667, 12.0000, 12.3333, 12.6667, 13.0000])')),
    ('nbtensor.as_tensor((np.arange(1001.0) - 500) / 1000)',
     ('tensor([-0.5000, -0.4990, -0.4980,  ...,  0.4980,  0.4990,  0.5000],\n'
      '       dtype=nbtensor.float64)')),
    ('nbtensor.tensor([])',
     'tensor([])'),
    ('nbtensor.zeros(2, 0)',
     'tensor([], size=(2, 0))'),
    ('nbtensor.tensor([], dtype=nbtensor.int64)',
     'tensor([], dtype=nbtensor.int64)'),
    ('nbtensor.zeros(0, dtype=nbtensor.float64)',
     'tensor([], dtype=nbtensor.float64)'),
    ('nbtensor.zeros(2, 0, 3, dtype=nbtensor.int32)',
     'tensor([], size=(2, 0, 3), dtype=nbtensor.int32)'),
    ('nbtensor.zeros(0, dtype=nbtensor.bool)',
     'tensor([], dtype=nbtensor.bool)'),
    ('nbtensor.tensor(3.5)',
     'tensor(3.5000)'),
    ('nbtensor.tensor(3)',
     'tensor(3)'),
    ('nbtensor.tensor(True)',
     'tensor(True)'),
    ('nbtensor.tensor(2.0, dtype=nbtensor.float64)',
     'tensor(2., dtype=nbtensor.float64)'),
    ('nbtensor.tensor(1e-8)',
     'tensor(1.0000e-08)'),
    ('nbtensor.tensor(nan)',
     'tensor(nan)'),
    ('nbtensor.tensor(-7, dtype=nbtensor.int8)',
     'tensor(-7, dtype=nbtensor.int8)'),
    ('nbtensor.eye(3)',
     ('tensor([[1., 0., 0.],\n'
      '        [0., 1., 0.],\n'
      '        [0., 0., 1.]])')),
    ('nbtensor.ones(2, 3, dtype=nbtensor.int16)',
     ('tensor([[1, 1, 1],\n'
      '        [1, 1, 1]], dtype=nbtensor.int16)')),
    ('nbtensor.as_tensor(np.arange(30).reshape(3, 10) * 12345)',
     ('tensor([[     0,  12345,  24690,  37035,  49380,  61725,  74070,  86415,  98760,\n'
      '         111105],\n'
      '        [123450, 135795, 148140, 160485, 172830, 185175, 197520, 209865, 222210,\n'
      '         234555],\n'
      '        [246900, 259245, 271590, 283935, 296280, 308625, 320970, 333315, 345660,\n'
      '         358005]])')),
    ('nbtensor.as_tensor(np.arange(30, dtype=np.int64).reshape(3, 10) * 1234567)',
     ('tensor([[       0,  1234567,  2469134,  3703701,  4938268,  6172835,  7407402,\n'
      '          8641969,  9876536, 11111103],\n'
      '        [12345670, 13580237, 14814804, 16049371, 17283938, 18518505, 19753072,\n'
      '         20987639, 22222206, 23456773],\n'
      '        [24691340, 25925907, 27160474, 28395041, 29629608, 30864175, 32098742,\n'
      '         33333309, 34567876, 35802443]])')),
]

# (set_printoptions arguments, expression, what torch prints under those options)
OPTION_CASES = [
    (dict(precision=2), 'nbtensor.tensor([1.23456, 2.5])',
     'tensor([1.23, 2.50])'),
    (dict(precision=2), 'nbtensor.tensor([1e-5, 1.0])',
     'tensor([1.00e-05, 1.00e+00])'),
    (dict(precision=6), 'nbtensor.tensor([1 / 3, 2 / 3], dtype=nbtensor.float64)',
     'tensor([0.333333, 0.666667], dtype=nbtensor.float64)'),
    (dict(threshold=5), 'nbtensor.arange(10)',
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    (dict(threshold=5, edgeitems=1), 'nbtensor.arange(20).view(4, 5)',
     ('tensor([[ 0,  ...,  4],\n'
      '        ...,\n'
      '        [15,  ..., 19]])')),
    (dict(edgeitems=2), 'nbtensor.arange(2000)',
     'tensor([   0,    1,  ..., 1998, 1999])'),
    (dict(linewidth=40), 'nbtensor.as_tensor((np.arange(12.0) / 3).astype(np.float32))',
     ('tensor([0.0000, 0.3333, 0.6667, 1.0000,\n'
      '        1.3333, 1.6667, 2.0000, 2.3333,\n'
      '        2.6667, 3.0000, 3.3333, 3.6667])')),
    (dict(linewidth=40), 'nbtensor.tensor([1.5, 2.5], dtype=nbtensor.float64)',
     ('tensor([1.5000, 2.5000],\n'
      '       dtype=nbtensor.float64)')),
    (dict(sci_mode=True), 'nbtensor.tensor([1.5, 200.0])',
     'tensor([1.5000e+00, 2.0000e+02])'),
    (dict(sci_mode=False), 'nbtensor.tensor([1e-5, 1.0])',
     'tensor([0.0000, 1.0000])'),
    (dict(sci_mode=False), 'nbtensor.tensor([1e10, 1.0])',
     'tensor([10000000000.,           1.])'),
    (dict(profile='short'), 'nbtensor.as_tensor((np.arange(12.0) / 7).astype(np.float32))',
     'tensor([0.00, 0.14, 0.29, 0.43, 0.57, 0.71, 0.86, 1.00, 1.14, 1.29, 1.43, 1.57])'),
    (dict(profile='full'), 'nbtensor.arange(1005)',
     ('tensor([   0,    1,    2,    3,    4,    5,    6,    7,    8,    9,   10,   11,\n'
      '          12,   13,   14,   15,   16,   17,   18,   19,   20,   21,   22,   23,\n'
      '          24,   25,   26,   27,   28,   29,   30,   31,   32,   33,   34,   35,\n'
      '          36,   37,   38,   39,   40,   41,   42,   43,   44,   45,   46,   47,\n'
      '          48,   49,   50,   51,   52,   53,   54,   55,   56,   57,   58,   59,\n'
      '          60,   61,   62,   63,   64,   65,   66,   67,   68,   69,   70,   71,\n'
      '          72,   73,   74,   75,   76,   77,   78,   79,   80,   81,   82,   83,\n'
      '          84,   85,   86,   87,   88,   89,   90,   91,   92,   93,   94,   95,\n'
      '          96,   97,   98,   99,  100,  101,  102,  103,  104,  105,  106,  107,\n'
      '         108,  109,  110,  111,  112,  113,  114,  115,  116,  117,  118,  119,\n'
      '         120,  121,  122,  123,  124,  125,  126,  127,  128,  129,  130,  131,\n'
      '         132,  133,  134,  135,  136,  137,  138,  139,  140,  141,  142,  143,\n'
      '         144,  145,  146,  147,  148,  149,  150,  151,  152,  153,  154,  155,\n'
      '         156,  157,  158,  159,  160,  161,  162,  163,  164,  165,  166,  167,\n'
      '         168,  169,  170,  171,  172,  173,  174,  175,  176,  177,  178,  179,\n'
      '         180,  181,  182,  183,  184,  185,  186,  187,  188,  189,  190,  191,\n'
      '         192,  193,  194,  195,  196,  197,  198,  199,  200,  201,  202,  203,\n'
      '         204,  205,  206,  207,  208,  209,  210,  211,  212,  213,  214,  215,\n'
      '         216,  217,  218,  219,  220,  221,  222,  223,  224,  225,  226,  227,\n'
      '         228,  229,  230,  231,  232,  233,  234,  235,  236,  237,  238,  239,\n'
      '         240,  241,  242,  243,  244,  245,  246,  247,  248,  249,  250,  251,\n'
      '         252,  253,  254,  255,  256,  257,  258,  259,  260,  261,  262,  263,\n'
      '         264,  265,  266,  267,  268,  269,  270,  271,  272,  273,  274,  275,\n'
      '         276,  277,  278,  279,  280,  281,  282,  283,  284,  285,  286,  287,\n'
      '         288,  289,  290,  291,  292,  293,  294,  295,  296,  297,  298,  299,\n'
      '         300,  301,  302,  303,  304,  305,  306,  307,  308,  309,  310,  311,\n'
      '         312,  313,  314,  315,  316,  317,  318,  319,  320,  321,  322,  323,\n'
      '         324,  325,  326,  327,  328,  329,  330,  331,  332,  333,  334,  335,\n'
      '         336,  337,  338,  339,  340,  341,  342,  343,  344,  345,  346,  347,\n'
      '         348,  349,  350,  351,  352,  353,  354,  355,  356,  357,  358,  359,\n'
      '         360,  361,  362,  363,  364,  365,  366,  367,  368,  369,  370,  371,\n'
      '         372,  373,  374,  375,  376,  377,  378,  379,  380,  381,  382,  383,\n'
      '         384,  385,  386,  387,  388,  389,  390,  391,  392,  393,  394,  395,\n'
      '         396,  397,  398,  399,  400,  401,  402,  403,  404,  405,  406,  407,\n'
      '         408,  409,  410,  411,  412,  413,  414,  415,  416,  417,  418,  419,\n'
      '         420,  421,  422,  423,  424,  425,  426,  427,  428,  429,  430,  431,\n'
      '         432,  433,  434,  435,  436,  437,  438,  439,  440,  441,  442,  443,\n'
      '         444,  445,  446,  447,  448,  449,  450,  451,  452,  453,  454,  455,\n'
      '         456,  457,  458,  459,  460,  461,  462,  463,  464,  465,  466,  467,\n'
      '         468,  469,  470,  471,  472,  473,  474,  475,  476,  477,  478,  479,\n'
      '         480,  481,  482,  483,  484,  485,  486,  487,  488,  489,  490,  491,\n'
      '         492,  493,  494,  495,  496,  497,  498,  499,  500,  501,  502,  503,\n'
      '         504,  505,  506,  507,  508,  509,  510,  511,  512,  513,  514,  515,\n'
      '         516,  517,  518,  519,  520,  521,  522,  523,  524,  525,  526,  527,\n'
      '         528,  529,  530,  531,  532,  533,  534,  535,  536,  537,  538,  539,\n'
      '         540,  541,  542,  543,  544,  545,  546,  547,  548,  549,  550,  551,\n'
      '         552,  553,  554,  555,  556,  557,  558,  559,  560,  561,  562,  563,\n'
      '         564,  565,  566,  567,  568,  569,  570,  571,  572,  573,  574,  575,\n'
      '         576,  577,  578,  579,  580,  581,  582,  583,  584,  585,  586,  587,\n'
      '         588,  589,  590,  591,  592,  593,  594,  595,  596,  597,  598,  599,\n'
      '         600,  601,  602,  603,  604,  605,  606,  607,  608,  609,  610,  611,\n'
      '         612,  613,  614,  615,  616,  617,  618,  619,  620,  621,  622,  623,\n'
      '         624,  625,  626,  627,  628,  629,  630,  631,  632,  633,  634,  635,\n'
      '         636,  637,  638,  639,  640,  641,  642,  643,  644,  645,  646,  647,\n'
      '         648,  649,  650,  651,  652,  653,  654,  655,  656,  657,  658,  659,\n'
      '         660,  661,  662,  663,  664,  665,  666,  667,  668,  669,  670,  671,\n'
      '         672,  673,  674,  675,  676,  677,  678,  679,  680,  681,  682,  683,\n'
      '         684,  685,  686,  687,  688,  689,  690,  691,  692,  693,  694,  695,\n'
      '         696,  697,  698,  699,  700,  701,  702,  703,  704,  705,  706,  707,\n'
      '         708,  709,  710,  711,  712,  713,  714,  715,  716,  717,  718,  719,\n'
      '         720,  721,  722,  723,  724,  725,  726,  727,  728,  729,  730,  731,\n'
      '         732,  733,  734,  735,  736,  737,  738,  739,  740,  741,  742,  743,\n'
      '         744,  745,  746,  747,  748,  749,  750,  751,  752,  753,  754,  755,\n'
      '         756,  757,  758,  759,  760,  761,  762,  763,  764,  765,  766,  767,\n'
      '         768,  769,  770,  771,  772,  773,  774,  775,  776,  777,  778,  779,\n'
      '         780,  781,  782,  783,  784,  785,  786,  787,  788,  789,  790,  791,\n'
      '         792,  793,  794,  795,  796,  797,  798,  799,  800,  801,  802,  803,\n'
      '         804,  805,  806,  807,  808,  809,  810,  811,  812,  813,  814,  815,\n'
      '         816,  817,  818,  819,  820,  821,  822,  823,  824,  825,  826,  827,\n'
      '         828,  829,  830,  831,  832,  833,  834,  835,  836,  837,  838,  839,\n'
      '         840,  841,  842,  843,  844,  845,  846,  847,  848,  849,  850,  851,\n'
      '         852,  853,  854,  855,  856,  857,  858,  859,  860,  861,  862,  863,\n'
      '         864,  865,  866,  867,  868,  869,  870,  871,  872,  873,  874,  875,\n'
      '         876,  877,  878,  879,  880,  881,  882,  883,  884,  885,  886,  887,\n'
      '         888,  889,  890,  891,  892,  893,  894,  895,  896,  897,  898,  899,\n'
      '         900,  901,  902,  903,  904,  905,  906,  907,  908,  909,  910,  911,\n'
      '         912,  913,  914,  915,  916,  917,  918,  919,  920,  921,  922,  923,\n'
      '         924,  925,  926,  927,  928,  929,  930,  931,  932,  933,  934,  935,\n'
      '         936,  937,  938,  939,  940,  941,  942,  943,  944,  945,  946,  947,\n'
      '         948,  949,  950,  951,  952,  953,  954,  955,  956,  957,  958,  959,\n'
      '         960,  961,  962,  963,  964,  965,  966,  967,  968,  969,  970,  971,\n'
      '         972,  973,  974,  975,  976,  977,  978,  979,  980,  981,  982,  983,\n'
      '         984,  985,  986,  987,  988,  989,  990,  991,  992,  993,  994,  995,\n'
      '         996,  997,  998,  999, 1000, 1001, 1002, 1003, 1004])')),
]


@pytest.fixture(autouse=True)
def default_print_options():
    nbtensor.set_printoptions(profile="default")
    nbtensor.set_printoptions(sci_mode=None)
    yield
    nbtensor.set_printoptions(profile="default")
    nbtensor.set_printoptions(sci_mode=None)


@pytest.mark.parametrize("expr, expected", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_torch(expr, expected):
    t = eval(expr)
    assert repr(t) == expected
    assert str(t) == expected


@pytest.mark.parametrize("options, expr, expected", OPTION_CASES,
                         ids=[f"{o}-{e}" for o, e, _ in OPTION_CASES])
def test_print_options_match_torch(options, expr, expected):
    nbtensor.set_printoptions(**options)
    assert repr(eval(expr)) == expected


def test_d2l_examples():
    x = nbtensor.arange(12, dtype=nbtensor.float32)
    assert repr(x) == "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.])"
    assert repr(x.reshape(3, 4)) == ("tensor([[ 0.,  1.,  2.,  3.],\n"
                                     "        [ 4.,  5.,  6.,  7.],\n"
                                     "        [ 8.,  9., 10., 11.]])")
    assert repr(nbtensor.zeros((2, 3, 4))[0]) == ("tensor([[0., 0., 0., 0.],\n"
                                                   "        [0., 0., 0., 0.],\n"
                                                   "        [0., 0., 0., 0.]])")
    assert repr(nbtensor.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])) == (
        "tensor([[2, 1, 4, 3],\n"
        "        [1, 2, 3, 4],\n"
        "        [4, 3, 2, 1]])")
    assert repr(x.shape) == "nbtensor.Size([12])"
    assert repr(x.dtype) == "nbtensor.float32"


def test_non_contiguous_views_print_their_values():
    t = nbtensor.arange(6).view(2, 3)
    assert repr(t.t()) == "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"
    assert repr(t[:, ::2]) == "tensor([[0, 2],\n        [3, 5]])"
    assert repr(nbtensor.tensor([1.0, 2.0]).expand(2, 2)) == "tensor([[1., 2.],\n        [1., 2.]])"
    assert repr(t[1, 2]) == "tensor(5)"


def test_set_printoptions_round_trip_and_defaults():
    assert nbtensor.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3,
                                               linewidth=80, sci_mode=None)
    nbtensor.set_printoptions(precision=2)
    assert repr(nbtensor.tensor([5.5, 3])) == "tensor([5.50, 3.00])"
    nbtensor.set_printoptions(precision=4)
    assert repr(nbtensor.tensor([5.5, 3])) == "tensor([5.5000, 3.0000])"
    nbtensor.set_printoptions(threshold=3)
    assert repr(nbtensor.arange(7)) == "tensor([0, 1, 2,  ..., 4, 5, 6])"
    nbtensor.set_printoptions(edgeitems=0)
    assert repr(nbtensor.arange(7)) == "tensor([...], size=(7,))"
    nbtensor.set_printoptions(profile="default")
    assert repr(nbtensor.arange(7)) == "tensor([0, 1, 2, 3, 4, 5, 6])"
    nbtensor.set_printoptions(sci_mode=True)
    assert repr(nbtensor.tensor([1.0])) == "tensor([1.0000e+00])"
    nbtensor.set_printoptions(sci_mode=None)
    assert repr(nbtensor.tensor([1.0])) == "tensor([1.])"
    with pytest.raises(ValueError, match="unknown print profile"):
        nbtensor.set_printoptions(profile="huge")


def test_default_dtype_changes_the_suffix():
    try:
        nbtensor.set_default_dtype(nbtensor.float64)
        assert repr(nbtensor.tensor([1.5])) == "tensor([1.5000])"
        assert repr(nbtensor.tensor([1.5], dtype=nbtensor.float32)) == \
            "tensor([1.5000], dtype=nbtensor.float32)"
        assert repr(nbtensor.zeros(0)) == "tensor([])"
    finally:
        nbtensor.set_default_dtype(nbtensor.float32)


# ---------------------------------------------------------------------------- parity with torch
def _parity_arrays():
    rng = np.random.default_rng(20240611)
    gens = [
        lambda s: rng.standard_normal(s),
        lambda s: rng.standard_normal(s) * 1e5,
        lambda s: rng.standard_normal(s) * 1e-5,
        lambda s: np.exp(rng.standard_normal(s) * 8),
        lambda s: rng.integers(-1000, 1000, s),
        lambda s: rng.integers(-10, 10, s).astype(np.float64),
        lambda s: rng.random(s) > 0.5,
    ]
    shapes = [(), (1,), (5,), (3, 4), (2, 3, 4), (30,), (7, 13), (2, 1, 3), (40, 40), (1200,), (3, 5, 70)]
    for g in gens:
        for s in shapes:
            a = np.asarray(g(s))
            if a.dtype.kind == "f":
                dtypes = [np.float32, np.float64, np.float16]
            elif a.dtype.kind == "i":
                dtypes = [np.int64, np.int32, np.int8]
            else:
                dtypes = [np.bool_]
            for d in dtypes:
                yield a.astype(d)
    special = np.array([nan, inf, -inf, 0.0, -0.0, 1.5, 1e-3, 12345.678])
    for k in range(1, len(special) + 1):
        yield special[:k].astype(np.float32)


OPTION_SETS = [{}, dict(precision=2), dict(sci_mode=True), dict(sci_mode=False), dict(linewidth=40),
               dict(threshold=10, edgeitems=2), dict(threshold=5, edgeitems=1, precision=6),
               dict(edgeitems=0, threshold=20)]


def test_parity_with_torch_on_many_tensors():
    torch = pytest.importorskip("torch")
    mismatches = []
    try:
        for opts in OPTION_SETS:
            torch.set_printoptions(profile="default")
            torch.set_printoptions(sci_mode=None)
            nbtensor.set_printoptions(profile="default")
            nbtensor.set_printoptions(sci_mode=None)
            torch.set_printoptions(**opts)
            nbtensor.set_printoptions(**opts)
            for a in _parity_arrays():
                want = str(torch.from_numpy(a.copy())).replace("torch.", "nbtensor.")
                got = str(nbtensor.as_tensor(a.copy()))
                if got != want:
                    mismatches.append((opts, a.dtype, a.shape, want, got))
            for expr, _ in CASES:                      # also the literal cases, under each option set
                t = eval(expr)
                want = str(torch.from_numpy(t.cpu().numpy().copy())).replace("torch.", "nbtensor.")
                if str(t) != want:
                    mismatches.append((opts, expr, want, str(t)))
    finally:
        torch.set_printoptions(profile="default")
        torch.set_printoptions(sci_mode=None)
    assert not mismatches, mismatches[:3]


def test_parity_with_torch_for_non_contiguous_and_empty():
    torch = pytest.importorskip("torch")
    base = np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 7
    views = [lambda x: x.permute(2, 0, 1), lambda x: x[:, ::2, 1:], lambda x: x[1], lambda x: x[:, :, :0],
             lambda x: x[0, 0, 0], lambda x: x.transpose(0, 1)[::2]]
    for view in views:
        want = str(view(torch.from_numpy(base.copy()))).replace("torch.", "nbtensor.")
        assert str(view(nbtensor.as_tensor(base.copy()))) == want
    for shape in [(0,), (2, 0), (0, 3), (2, 0, 3)]:
        for name in ("float32", "int64", "float64", "bool", "int8"):
            want = str(torch.empty(shape, dtype=getattr(torch, name))).replace("torch.", "nbtensor.")
            assert str(nbtensor.empty(shape, dtype=getattr(nbtensor, name))) == want


def test_extreme_magnitude_ratios_print_without_overflow_warnings():
    # the notation test compares the largest and smallest magnitudes without dividing
    # them (1.0 / 5e-324 overflows: NumPy warned)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(nbtensor.tensor([5e-324, 1.0], dtype=nbtensor.float64)) == \
            "tensor([4.9407e-324,  1.0000e+00], dtype=nbtensor.float64)"
        assert repr(nbtensor.tensor([1e-300, 1e300], dtype=nbtensor.float64)) == \
            "tensor([1.0000e-300, 1.0000e+300], dtype=nbtensor.float64)"

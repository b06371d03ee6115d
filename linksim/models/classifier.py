"""CIFAR-10 classifiers that judge received images.

Models take float images in [0, 255], shape ``[N, 32, 32, 3]``, and return
logits ``[N, 10]``; input normalisation is inside the model so that gradients
w.r.t. pixels (semantic importance maps) need no extra plumbing.
"""
import tensorflow as tf

#: CIFAR-10 training-set per-channel mean and std (RGB, 0..255).
_MEAN = (125.3, 123.0, 113.9)
_STD = (63.0, 62.1, 66.7)


def _conv_bn(x, filters, stride, weight_decay, relu=True, kernel=3):
    x = tf.keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                               kernel_initializer="he_normal",
                               kernel_regularizer=tf.keras.regularizers.l2(weight_decay))(x)
    x = tf.keras.layers.BatchNormalization()(x)
    return tf.keras.layers.ReLU()(x) if relu else x


def _normalised_input():
    """``(Keras input [N, H, W, 3] in [0, 255], its per-channel standardisation)``.

    Any H, W: the networks are convolutional up to one global average pooling, so a judge trained at
    32x32 also runs (as an illustration) on a larger photo.
    """
    inputs = tf.keras.Input((None, None, 3))
    return inputs, tf.keras.layers.Normalization(mean=_MEAN, variance=[s * s for s in _STD])(inputs)


def _pooled_logits(x, dropout, weight_decay, num_classes):
    """Global average pooling, dropout, one dense layer: the head class activation maps read."""
    x = tf.keras.layers.Dropout(dropout)(tf.keras.layers.GlobalAveragePooling2D()(x))
    return tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.l2(weight_decay))(x)


def resnet(depth: int = 20, width: int = 16, weight_decay: float = 2.5e-4,
           num_classes: int = 10) -> tf.keras.Model:
    """CIFAR ResNet (He et al. 2016, option-B projection shortcuts).

    Args:
        depth: 6n + 2 layers (20, 32, 44, 56, ...).
        width: channels of the first stage; stages use width, 2*width, 4*width.
        weight_decay: L2 factor on conv/dense kernels (Keras convention: adds
            ``weight_decay * ||w||^2`` to the loss).
        num_classes: number of logits.

    Input ``[N, 32, 32, 3]`` float in [0, 255]; output logits ``[N, num_classes]``.
    """
    if (depth - 2) % 6:
        raise ValueError(f"ResNet depth must be 6n+2, got {depth}")
    blocks = (depth - 2) // 6
    inputs, x = _normalised_input()
    x = _conv_bn(x, width, 1, weight_decay)
    for stage in range(3):
        filters = width * 2 ** stage
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            y = _conv_bn(x, filters, stride, weight_decay)
            y = _conv_bn(y, filters, 1, weight_decay, relu=False)
            if stride != 1 or x.shape[-1] != filters:
                x = tf.keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                           kernel_regularizer=tf.keras.regularizers.l2(weight_decay))(x)
                x = tf.keras.layers.BatchNormalization()(x)
            x = tf.keras.layers.ReLU()(tf.keras.layers.Add()([x, y]))
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    logits = tf.keras.layers.Dense(num_classes,
                                   kernel_regularizer=tf.keras.regularizers.l2(weight_decay))(x)
    return tf.keras.Model(inputs, logits, name=f"resnet{depth}_w{width}")


def vgg(stages=((32, 32), (64, 64), (128, 128), (256,)), weight_decay: float = 2.5e-4,
        dropout: float = 0.2, num_classes: int = 10) -> tf.keras.Model:
    """VGG-style CIFAR net (Simonyan & Zisserman 2015, with batch norm): plain conv stacks, no shortcuts.

    A different family from :func:`resnet`, so it can judge codecs trained
    with a ResNet's gradients without sharing its blind spots by construction.
    The default (587k parameters, about the multiply-adds of ResNet-20) took
    140 s per epoch against 307 s for the 1.5x-wider stages (48, 96, 192, 384),
    timed over 20 batches on 2 cores beside another training.

    Args:
        stages: conv widths per stage; each stage but the last ends in 2x2 max pooling.
        weight_decay: L2 factor on conv/dense kernels.
        dropout: dropout rate before the classifier layer.
        num_classes: number of logits.

    Input ``[N, 32, 32, 3]`` float in [0, 255]; output logits ``[N, num_classes]``.
    """
    inputs, x = _normalised_input()
    for i, widths in enumerate(stages):
        for filters in widths:
            x = _conv_bn(x, filters, 1, weight_decay)
        if i < len(stages) - 1:
            x = tf.keras.layers.MaxPooling2D()(x)
    logits = _pooled_logits(x, dropout, weight_decay, num_classes)
    return tf.keras.Model(inputs, logits, name=f"vgg{sum(map(len, stages)) + 1}")


def alexnet(widths=(48, 128, 192, 192, 128), weight_decay: float = 2.5e-4, dropout: float = 0.2,
            num_classes: int = 10) -> tf.keras.Model:
    """AlexNet-style CIFAR net (Krizhevsky et al. 2012, adapted to 32x32, with batch norm and a CAM head).

    AlexNet's shape: two large-kernel convolutions, each followed by 3x3
    max pooling with stride 2 (overlapping, as AlexNet), then three 3x3
    convolutions. The 11x11 stride-4 first layer of 224x224 inputs becomes
    5x5 stride 1 at 32x32 (about the same share of the image); the three
    dense layers become global average pooling and one dense layer, the head
    class activation maps need (DMV-JND uses CAMs of every classifier).

    Args:
        widths: channels of the five convolutions.
        weight_decay: L2 factor on conv/dense kernels.
        dropout: dropout rate before the classifier layer.
        num_classes: number of logits.

    Input ``[N, 32, 32, 3]`` float in [0, 255]; output logits ``[N, num_classes]``.
    """
    inputs, x = _normalised_input()
    for i, filters in enumerate(widths):
        x = _conv_bn(x, filters, 1, weight_decay, kernel=5 if i < 2 else 3)
        if i < 2:
            x = tf.keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return tf.keras.Model(inputs, _pooled_logits(x, dropout, weight_decay, num_classes), name="alexnet")


def densenet_bc(depth: int = 40, growth: int = 12, compression: float = 0.5, weight_decay: float = 1e-4,
                num_classes: int = 10) -> tf.keras.Model:
    """DenseNet-BC for CIFAR (Huang et al. 2017): three dense blocks of bottleneck layers, compressing
    transitions, global average pooling and one dense layer.

    Args:
        depth: 6n + 4 layers (n bottleneck layers, each 1x1 then 3x3, per block).
        growth: channels each layer adds (k).
        compression: share of channels a transition keeps (theta).
        weight_decay: L2 factor on conv/dense kernels.
        num_classes: number of logits.

    Input ``[N, 32, 32, 3]`` float in [0, 255]; output logits ``[N, num_classes]``.
    """
    if (depth - 4) % 6:
        raise ValueError(f"DenseNet-BC depth must be 6n+4, got {depth}")
    layers_per_block = (depth - 4) // 6
    regularizer = tf.keras.regularizers.l2(weight_decay)

    def bn_relu_conv(x, filters, kernel):
        x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
        return tf.keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                                      kernel_initializer="he_normal", kernel_regularizer=regularizer)(x)

    inputs, x = _normalised_input()
    x = tf.keras.layers.Conv2D(2 * growth, 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                               kernel_regularizer=regularizer)(x)
    for block in range(3):
        for _ in range(layers_per_block):
            y = bn_relu_conv(bn_relu_conv(x, 4 * growth, 1), growth, 3)
            x = tf.keras.layers.Concatenate()([x, y])
        if block < 2:
            x = bn_relu_conv(x, int(x.shape[-1] * compression), 1)
            x = tf.keras.layers.AveragePooling2D()(x)
    x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    logits = tf.keras.layers.Dense(num_classes, kernel_regularizer=regularizer)(x)
    return tf.keras.Model(inputs, logits, name=f"densenet_bc{depth}_k{growth}")


def with_flip_averaging(model: tf.keras.Model) -> tf.keras.Model:
    """Test-time augmentation: logits averaged over the image and its horizontal mirror.

    Input ``[N, H, W, 3]``; output logits ``[N, K]`` (same as ``model``; differentiable, so
    gradient-based importance maps see both views).
    """
    inputs = tf.keras.Input(model.input_shape[1:])
    mirrored = tf.keras.layers.Lambda(lambda x: tf.reverse(x, axis=[2]))(inputs)
    logits = tf.keras.layers.Average()([model(inputs), model(mirrored)])
    return tf.keras.Model(inputs, logits, name=f"{model.name}_flip")


ARCHITECTURES = {"resnet20": lambda: resnet(20, 16), "resnet32": lambda: resnet(32, 16), "vgg8": vgg,
                 "alexnet": alexnet, "densenet40": densenet_bc}

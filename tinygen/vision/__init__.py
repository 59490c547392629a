"""tinygen.vision: the camera front end. Camera frames (RGB565 in either byte order, YUYV,
gray; any size up to the build's largest) are cropped, resized and quantized on the device
into the model's int8 input, row by row (firmware/vision, firmware/camera), bit-exact with
the numpy twin here.

The one entry point for users is the command line: `tinygen build --camera`,
`tinygen camera --images DIR | --frames FILE --format F --size WxH`. Modules:

    formats   frame formats, packing pixels as a camera sends them
    twin      the numpy twin of the C preprocessing (bit-exact)
    plan      the model's image input, the pixel -> int8 table, scratch sizes (the build's)
    codegen   what a --camera build adds to the generated project
    link      the protocol's camera commands on a connected device
    frames    frames for a run: image folders, frame files, labels
    run       frames through the device, compared with the twin and the reference
    sheet     the contact sheet PNG
    cli       the command-line options
"""

"""tinygen.vision: the camera front end. Camera frames (RGB565 in either byte order, YUYV,
gray; any size up to the build's largest) are cropped, resized and quantized on the device
into the model's int8 input, row by row (firmware/vision, firmware/camera), bit-exact with
the numpy twin here.

The one entry point for users is the command line: `tinygen build --camera`,
`tinygen camera --images DIR | --frames FILE --format F --size WxH`. Modules:

    link      the protocol's camera commands on a connected device
    frames    frames for a run: image folders, frame files, labels
    run       frames through the device, compared with the twin and the reference
    sheet     the contact sheet PNG

The front end's compiler parts live on their floors: frame formats and the numpy twin of
the C preprocessing in tinygen.ref (frame_formats, camera), the model's image input, the
pixel -> int8 table and the scratch sizes in tinygen.passes.camera_input, and what a
--camera build adds to the generated project in tinygen.codegen.camera.
"""

"""The VGGFace2 authors' model layout (ResNet v1 on BGR input minus the mean), built from known
random tensors, written as the files they publish: a Caffe-converted state_dict (.pth) and
VGGFace2-pytorch's pickled dict of numpy arrays (.pkl). Prints nothing; writes
<out>/caffe.pth, <out>/vggface2.pkl, <out>/input.u8 (uint8 RGB NHWC) and <out>/reference.f32
(the reference output: pooled features, or the embedding of a low-dimensional model).

  /usr/bin/python3 published_models.py OUT ARCH(resnet50|senet50) CLASSES EMBEDDING(0|128|256) SIZE
  ... --check F.pth: prints the relative error of the reference network loaded from a state_dict
  in torchvision names that vgg2-torch wrote (conv1 takes RGB there), on the same input.
"""
import collections, pickle, sys
import numpy as np
import torch
import torch.nn as nn

out, arch, classes, embedding, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.manual_seed(0)
MEAN_BGR = torch.tensor([91.4953, 103.8827, 131.0912]).view(1, 3, 1, 1)


class Bottleneck(nn.Module):  # v1: the stride on the first 1x1 conv
    def __init__(self, inplanes, planes, stride, se):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride, bias=False); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False); self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))
        self.se = se
        if se:
            self.conv4 = nn.Conv2d(planes * 4, planes // 4, 1); self.conv5 = nn.Conv2d(planes // 4, planes * 4, 1)

    def forward(self, x):
        o = torch.relu(self.bn1(self.conv1(x)))
        o = torch.relu(self.bn2(self.conv2(o)))
        o = self.bn3(self.conv3(o))
        if self.se:
            o = o * torch.sigmoid(self.conv5(torch.relu(self.conv4(nn.functional.adaptive_avg_pool2d(o, 1)))))
        return torch.relu(o + (self.downsample(x) if self.downsample is not None else x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False); self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 0, ceil_mode=True)
        inplanes, layers = 64, []
        for i, (n, planes) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(inplanes, planes, 2 if (b == 0 and i > 0) else 1, arch == 'senet50'))
                inplanes = planes * 4
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        if embedding:
            self.feat_extract = nn.Conv2d(2048, embedding, 1, bias=False)
        else:
            self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        return self.feat_extract(x).flatten(1) if embedding else x.flatten(1)


net = Net().eval()
if len(sys.argv) > 7 and sys.argv[6] == '--check':
    theirs = torch.load(sys.argv[7])
    state = {}
    for k, v in theirs.items():
        k = k.replace('.se.fc.0.', '.conv4.').replace('.se.fc.2.', '.conv5.')
        if '.conv4.' in k or '.conv5.' in k:
            v = v.view(v.shape[0], -1, 1, 1) if k.endswith('weight') else v
        state[k] = v
    net.load_state_dict(state)
    img = torch.from_numpy(np.fromfile(f'{out}/input.u8', dtype=np.uint8).reshape(2, size, size, 3))
    rgb = img.permute(0, 3, 1, 2).float() - MEAN_BGR.flip(1)  # conv1 takes RGB in our files
    with torch.no_grad():
        got = net(rgb)
    ref = torch.from_numpy(np.fromfile(f'{out}/reference.f32', dtype='<f4')).view_as(got)
    print(float((got - ref).norm() / ref.norm()))
    sys.exit(0)
with torch.no_grad():  # BatchNorm statistics that matter, so that folding mistakes would show
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5); m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1); m.running_var.uniform_(0.5, 1.5)
img = torch.randint(0, 256, (2, size, size, 3), dtype=torch.uint8)
bgr = img.permute(0, 3, 1, 2).flip(1).float() - MEAN_BGR
with torch.no_grad():
    ref = net(bgr)
img.numpy().tofile(f'{out}/input.u8')
ref.numpy().astype('<f4').tofile(f'{out}/reference.f32')

state = {k: v for k, v in net.state_dict().items() if not k.endswith('num_batches_tracked')}


def caffe_name(k):
    parts = k.split('.')
    if parts[0] in ('conv1', 'bn1'):
        return 'conv1_7x7_s2' + ('_bn' if parts[0] == 'bn1' else '') + '.' + parts[1]
    if parts[0] == 'fc':
        return 'classifier.' + parts[1]
    if parts[0] == 'feat_extract':
        return k
    stage, block = int(parts[0][5:]) + 1, int(parts[1]) + 1
    rest = '.'.join(parts[2:])
    names = {'conv1': '1x1_reduce', 'bn1': '1x1_reduce_bn', 'conv2': '3x3', 'bn2': '3x3_bn', 'conv3': '1x1_increase',
             'bn3': '1x1_increase_bn', 'downsample.0': '1x1_proj', 'downsample.1': '1x1_proj_bn', 'conv4': '1x1_down',
             'conv5': '1x1_up'}
    module, param = rest.rsplit('.', 1)
    return f'conv{stage}_{block}_{names[module]}.{param}'


caffe = collections.OrderedDict()
for k, v in state.items():
    caffe[caffe_name(k)] = v.view(v.shape[0], v.shape[1], 1, 1) if k == 'fc.weight' else v
torch.save(caffe, f'{out}/caffe.pth')
with open(f'{out}/vggface2.pkl', 'wb') as f:
    pickle.dump({k: v.numpy() for k, v in state.items()}, f, protocol=2)
